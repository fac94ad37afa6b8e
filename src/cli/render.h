// Human-readable text for each command's JSON result.
#pragma once

#include <string>

#include "compliance/workflows.h"

namespace davault::cli {

std::string RenderText(const std::string& command, const compliance::Json& result);

}  // namespace davault::cli
