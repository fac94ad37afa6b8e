// The Avro schema the fake serves at .../le/schema: our reconstruction, not LivePerson's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace davault::fakeserver {

// The schema JSON for "latest" (= 1.0.0.35) or one of the versions seen in the documentation
// (1.0.0.4, 1.0.0.22, 1.0.0.34, 1.0.0.35); nullopt for any other id.
std::optional<std::string> SchemaJson(std::string_view schema_id);

}  // namespace davault::fakeserver
