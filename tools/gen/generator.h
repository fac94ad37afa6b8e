// davault-gen's engine: plans the files and the planted records, writes them, and the manifest.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"
#include "gen/types.h"

namespace davault::gen {

// One --plant: a person whose identifiers go into chosen records. Empty means not given.
struct PlantSpec {
  std::string name;
  std::string email, phone, visitor, customer, consumer, ip, agent;
  std::optional<uint32_t> types;  // TypeBit mask; unset: every generated type they fit
  int count = 3;                  // records per type
  bool exact_forms = false;       // forms=exact: identifiers only exactly as given
};

// "name=dana,email=dana@example.test,types=webSession+engagement,count=4". Lists inside a spec
// use '+' or ';' (the spec itself is comma-separated).
Result<PlantSpec> ParsePlantSpec(std::string_view spec);
// "200MB", "2GB", "512KiB", "1000": decimal units (KB, MB, GB) and binary ones (KiB, MiB, GiB).
Result<uint64_t> ParseSize(std::string_view text);
// "agentActivity,webSession" (also '+' or ';' separated) into a TypeBit mask.
Result<uint32_t> ParseTypeList(std::string_view text);

enum class Layout {
  kHourly,      // files per type per scope hour, --parts of them
  kSingleFile,  // one file per type holding every record (all in the first scope hour)
};

struct Options {
  std::string out_dir;
  uint64_t seed = 1;
  int64_t start_ms = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
  int hours = 24;
  uint32_t types = 0xf;
  int records_per_file = 20;
  int parts = 1;
  std::optional<uint64_t> target_bytes;  // keep going until this much uncompressed JSON
  Layout layout = Layout::kHourly;
  int people = 200;
  int agents = 8;
  std::vector<PlantSpec> plants;
  std::string manifest_path;  // empty: no manifest
  std::string marker;
  bool dup_file = false;
  Form form = Form::kProduction;
  std::string account = "75555851";
  int gzip_level = 6;
  // --pgp-recipient: a public key file; the values of pgp_fields are then PGP-encrypted to it
  // (random per run: such output is not byte-identical across runs).
  std::string pgp_recipient_file;
  std::vector<std::string> pgp_fields = {"text"};
};

struct Summary {
  uint64_t files = 0;
  uint64_t records = 0;
  uint64_t uncompressed_bytes = 0;
  uint64_t compressed_bytes = 0;
  uint64_t pgp_values = 0;  // values written PGP-encrypted
};

Result<Summary> Generate(const Options& options);

}  // namespace davault::gen
