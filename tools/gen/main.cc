// davault-gen: seeded, realistic Data Access files for tests, the demo and the benchmark.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "base/time.h"
#include "gen/generator.h"

namespace {

constexpr int kExitUsage = 2;

int Fail(const davault::Status& s) {
  std::fprintf(stderr, "davault-gen: %s\n", s.message().c_str());
  return s.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  using davault::gen::Options;
  Options o;
  std::string start = "2026-11-01T00:00:00Z";
  std::string types = "agentActivity,webSession,engagement,survey";
  std::string target;
  std::string form = "production";
  std::vector<std::string> plants;
  bool single_file = false;

  CLI::App app{
      "davault-gen: writes seeded LivePerson Data Access files (all four data types) "
      "that look exactly like the samples, with chosen people planted in chosen records "
      "and a manifest of where they are."};
  app.add_option("--out", o.out_dir, "output directory (created)")->required();
  app.add_option("--seed", o.seed, "seed: same seed and options give byte-identical output")
      ->default_val(1);
  app.add_option("--start", start,
                 "start of the first scope hour, ISO-8601 with offset or epoch ms (hour-aligned)")
      ->default_val(start);
  app.add_option("--hours", o.hours, "scope hours to generate")->default_val(24);
  app.add_option("--types", types, "data types, comma-separated")->default_val(types);
  app.add_option("--records-per-file", o.records_per_file, "records in each file")->default_val(20);
  app.add_option("--parts", o.parts, "part files per hour per type (part-00000-0, ...)")
      ->default_val(1);
  app.add_option("--target-bytes", target,
                 "keep generating until the uncompressed JSON reaches SIZE (e.g. 200MB, 2GB, "
                 "512MiB); --hours is then ignored");
  app.add_flag("--single-file", single_file,
               "one file per type holding every record (scope: the first hour)");
  app.add_option("--people", o.people, "size of the random pool of visitors")->default_val(200);
  app.add_option("--agents", o.agents, "size of the pool of agents")->default_val(8);
  app.add_option("--plant", plants,
                 "plant a person: name=NAME,email=..,phone=..,visitor=..,customer=..,consumer=..,"
                 "ip=..,agent=..,types=LIST,count=N,forms=mixed|exact (repeatable)");
  app.add_option("--manifest", o.manifest_path, "write a JSON manifest of what was generated");
  app.add_option("--marker", o.marker,
                 "phrase put into one transcript line of each planted person's engagements");
  app.add_flag("--dup-file", o.dup_file,
               "also write a re-issued copy of one file under the next part number");
  app.add_option("--form", form, "production (wrapped metaData/recordCollection) or doc")
      ->default_val(form)
      ->check(CLI::IsMember({"production", "doc", "documentation"}));
  app.add_option("--account", o.account, "LivePerson account id")->default_val(o.account);
  app.add_option("--gzip-level", o.gzip_level, "zlib level 1-9")->default_val(o.gzip_level);
  std::string pgp_fields = "text";
  app.add_option("--pgp-recipient", o.pgp_recipient_file,
                 "public PGP key file: write the --pgp-fields values PGP-encrypted to it "
                 "(LivePerson's PGP option)");
  app.add_option("--pgp-fields", pgp_fields,
                 "comma-separated JSON keys whose string values are encrypted (default text: "
                 "the transcript lines)")
      ->default_val(pgp_fields);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto start_ms = davault::ParseTime(start);
  if (!start_ms.ok()) return Fail(start_ms.status().Context("--start"));
  o.start_ms = start_ms.value();
  auto mask = davault::gen::ParseTypeList(types);
  if (!mask.ok()) return Fail(mask.status().Context("--types"));
  o.types = mask.value();
  if (!target.empty()) {
    auto bytes = davault::gen::ParseSize(target);
    if (!bytes.ok()) return Fail(bytes.status().Context("--target-bytes"));
    o.target_bytes = bytes.value();
  }
  o.layout = single_file ? davault::gen::Layout::kSingleFile : davault::gen::Layout::kHourly;
  o.form =
      form == "production" ? davault::gen::Form::kProduction : davault::gen::Form::kDocumentation;
  for (const std::string& p : plants) {
    auto spec = davault::gen::ParsePlantSpec(p);
    if (!spec.ok()) return Fail(spec.status());
    o.plants.push_back(std::move(spec).value());
  }

  o.pgp_fields.clear();
  for (size_t pos = 0; pos <= pgp_fields.size();) {
    size_t c = pgp_fields.find(',', pos);
    if (c == std::string::npos) c = pgp_fields.size();
    if (c > pos) o.pgp_fields.push_back(pgp_fields.substr(pos, c - pos));
    pos = c + 1;
  }
  if (!o.pgp_recipient_file.empty() && o.pgp_fields.empty())
    return Fail(davault::Status::Usage("--pgp-fields: name at least one field"));

  auto summary = davault::gen::Generate(o);
  if (!summary.ok()) return Fail(summary.status());
  const auto& s = summary.value();
  std::fprintf(stderr, "%s",
               fmt::format("davault-gen: wrote {} files, {} records, {} bytes of "
                           "JSON ({} compressed) to {}\n",
                           s.files, s.records, s.uncompressed_bytes, s.compressed_bytes, o.out_dir)
                   .c_str());
  if (!o.pgp_recipient_file.empty())
    std::fprintf(stderr, "davault-gen: %llu values PGP-encrypted\n",
                 static_cast<unsigned long long>(s.pgp_values));
  return 0;
}
