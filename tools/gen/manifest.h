// What davault-gen wrote: files, per-type totals, and where each planted identifier landed.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "gen/records.h"
#include "gen/types.h"

namespace davault::gen {

struct FileEntry {
  std::string name;
  DataType type = DataType::kAgentActivity;
  int64_t scope_start = 0;
  int part = 0;
  uint64_t records = 0;
  uint64_t uncompressed_bytes = 0;
  uint64_t compressed_bytes = 0;
  int duplicate_of = -1;  // index of the file this one re-issues, or -1
};

// Header data the manifest echoes so a test can tell how its fixture was made.
struct ManifestInfo {
  uint64_t seed = 0;
  std::string account;
  Form form = Form::kProduction;
  int64_t start_ms = 0;
  std::string layout;  // "hourly" or "single-file"
  uint32_t types = 0;
  std::string marker;
};

class Manifest {
 public:
  int AddFile(FileEntry entry);
  FileEntry& file(int index) { return files_[static_cast<size_t>(index)]; }
  const std::vector<FileEntry>& files() const { return files_; }

  // Lists an identifier of a planted person before any record holds it, so that the manifest
  // shows given identifiers in the order given, and ones that ended up in no record at all.
  void Register(int planted, Kind kind, const std::string& value, bool given);

  // Records one planted record's hits (file index, 0-based line); a record that holds the same
  // identifier several times is listed once, with all its fields and forms.
  void AddRecord(int file, uint64_t record, const std::vector<Hit>& hits);

  // The copy re-issues the original's records: every occurrence in it is repeated in the copy.
  void AddDuplicate(int original, int copy);

  // True when some planted record lies in the file.
  bool FileHasPlanted(int file) const;

  nlohmann::ordered_json ToJson(const ManifestInfo& info,
                                const std::vector<PlantedPerson>& planted) const;

 private:
  struct Occurrence {
    int file = 0;
    uint64_t record = 0;
    std::vector<std::string> fields;
    std::vector<std::string> forms;
    bool structured = false;
  };
  struct Identifier {
    int planted = 0;
    Kind kind = Kind::kEmail;
    std::string value;
    bool given = false;
    std::vector<Occurrence> occurrences;
  };
  int Find(int planted, Kind kind, const std::string& value);

  std::vector<FileEntry> files_;
  std::vector<Identifier> identifiers_;
  std::map<std::tuple<int, int, std::string>, int> index_;
};

}  // namespace davault::gen
