// Builds the generator's manifest (nlohmann/json: it is written once, off the hot path).
#include "gen/manifest.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/time.h"

namespace davault::gen {

namespace {

constexpr int64_t kHourMs = 3'600'000;

void AddUnique(std::vector<std::string>& v, std::string_view s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.emplace_back(s);
}

nlohmann::ordered_json TypeCounts(uint32_t types) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (DataType t : kAllTypes) {
    if (types & TypeBit(t)) j[std::string(TypeName(t))] = 0;
  }
  return j;
}

}  // namespace

int Manifest::AddFile(FileEntry entry) {
  files_.push_back(std::move(entry));
  return static_cast<int>(files_.size()) - 1;
}

int Manifest::Find(int planted, Kind kind, const std::string& value) {
  auto key = std::make_tuple(planted, static_cast<int>(kind), value);
  auto it = index_.find(key);
  if (it != index_.end()) return it->second;
  identifiers_.push_back(Identifier{planted, kind, value, false, {}});
  const int id = static_cast<int>(identifiers_.size()) - 1;
  index_.emplace(std::move(key), id);
  return id;
}

void Manifest::Register(int planted, Kind kind, const std::string& value, bool given) {
  const int id = Find(planted, kind, value);
  identifiers_[static_cast<size_t>(id)].given |= given;
}

void Manifest::AddRecord(int file, uint64_t record, const std::vector<Hit>& hits) {
  for (const Hit& h : hits) {
    Identifier& ident = identifiers_[static_cast<size_t>(Find(h.planted, h.kind, h.value))];
    if (ident.occurrences.empty() || ident.occurrences.back().file != file ||
        ident.occurrences.back().record != record) {
      ident.occurrences.push_back(Occurrence{file, record, {}, {}, false});
    }
    Occurrence& occ = ident.occurrences.back();
    AddUnique(occ.fields, h.field);
    AddUnique(occ.forms, h.form);
    occ.structured |= h.structured;
  }
}

void Manifest::AddDuplicate(int original, int copy) {
  for (Identifier& ident : identifiers_) {
    std::vector<Occurrence> copies;
    for (const Occurrence& occ : ident.occurrences) {
      if (occ.file == original) {
        Occurrence c = occ;
        c.file = copy;
        copies.push_back(std::move(c));
      }
    }
    ident.occurrences.insert(ident.occurrences.end(), copies.begin(), copies.end());
  }
}

bool Manifest::FileHasPlanted(int file) const {
  for (const Identifier& ident : identifiers_) {
    for (const Occurrence& occ : ident.occurrences) {
      if (occ.file == file) return true;
    }
  }
  return false;
}

nlohmann::ordered_json Manifest::ToJson(const ManifestInfo& info,
                                        const std::vector<PlantedPerson>& planted) const {
  using json = nlohmann::ordered_json;
  json j;
  j["generator"] = "davault-gen";
  j["manifest_version"] = 1;
  j["seed"] = info.seed;
  j["account"] = info.account;
  j["form"] = info.form == Form::kProduction ? "production" : "documentation";
  j["layout"] = info.layout;
  j["start"] = info.start_ms;
  j["start_iso"] = FormatTime(info.start_ms);
  json types = json::array();
  for (DataType t : kAllTypes) {
    if (info.types & TypeBit(t)) types.push_back(std::string(TypeName(t)));
  }
  j["types"] = types;

  auto is_dup = [&](int file) { return files_[static_cast<size_t>(file)].duplicate_of >= 0; };
  auto type_of = [&](int file) {
    return std::string(TypeName(files_[static_cast<size_t>(file)].type));
  };

  json files = json::object();
  json totals = json::object();
  for (DataType t : kAllTypes) {
    if (!(info.types & TypeBit(t))) continue;
    totals[std::string(TypeName(t))] = {{"files", 0},
                                        {"records", 0},
                                        {"unique_records", 0},
                                        {"uncompressed_bytes", 0},
                                        {"compressed_bytes", 0}};
  }
  json all = {{"files", 0},
              {"records", 0},
              {"unique_records", 0},
              {"uncompressed_bytes", 0},
              {"compressed_bytes", 0}};
  for (const FileEntry& f : files_) {
    json e;
    e["type"] = std::string(TypeName(f.type));
    e["data_type"] = std::string(DataTypeEnum(f.type));
    e["scope_start"] = f.scope_start;
    e["scope_end"] = f.scope_start + kHourMs;
    e["part"] = f.part;
    e["records"] = f.records;
    e["uncompressed_bytes"] = f.uncompressed_bytes;
    e["compressed_bytes"] = f.compressed_bytes;
    e["duplicate_of"] =
        f.duplicate_of >= 0 ? json(files_[static_cast<size_t>(f.duplicate_of)].name) : json();
    files[f.name] = std::move(e);
    for (json* tot : {&totals[std::string(TypeName(f.type))], &all}) {
      (*tot)["files"] = (*tot)["files"].get<uint64_t>() + 1;
      (*tot)["records"] = (*tot)["records"].get<uint64_t>() + f.records;
      if (f.duplicate_of < 0) {
        (*tot)["unique_records"] = (*tot)["unique_records"].get<uint64_t>() + f.records;
      }
      (*tot)["uncompressed_bytes"] =
          (*tot)["uncompressed_bytes"].get<uint64_t>() + f.uncompressed_bytes;
      (*tot)["compressed_bytes"] = (*tot)["compressed_bytes"].get<uint64_t>() + f.compressed_bytes;
    }
  }
  totals["all"] = std::move(all);
  j["files"] = std::move(files);
  j["totals"] = std::move(totals);

  // Occurrence lists in file order, then line order, whatever order they were found in.
  auto occurrence_json = [&](const Occurrence& o, bool detail) {
    json e;
    e["file"] = files_[static_cast<size_t>(o.file)].name;
    e["type"] = type_of(o.file);
    e["record"] = o.record;
    if (detail) {
      e["fields"] = o.fields;
      e["forms"] = o.forms;
      e["structured"] = o.structured;
    }
    return e;
  };
  auto sorted = [](std::vector<Occurrence> v) {
    std::sort(v.begin(), v.end(), [](const Occurrence& a, const Occurrence& b) {
      return std::tie(a.file, a.record) < std::tie(b.file, b.record);
    });
    return v;
  };

  json marker_records = TypeCounts(info.types);
  json people = json::object();
  for (size_t pi = 0; pi < planted.size(); ++pi) {
    const PlantedPerson& p = planted[pi];
    json person;
    json ptypes = json::array();
    for (DataType t : kAllTypes) {
      if (p.types & TypeBit(t)) ptypes.push_back(std::string(TypeName(t)));
    }
    person["types"] = ptypes;
    person["count"] = p.count;
    person["forms"] = p.exact_forms ? "exact" : "mixed";
    json idents = json::array();
    std::set<std::pair<int, uint64_t>> any;
    json marker;
    for (const Identifier& ident : identifiers_) {
      if (ident.planted != static_cast<int>(pi)) continue;
      json records = TypeCounts(info.types), unique = TypeCounts(info.types),
           structured = TypeCounts(info.types);
      json occs = json::array();
      for (const Occurrence& o : sorted(ident.occurrences)) {
        const std::string t = type_of(o.file);
        records[t] = records[t].get<uint64_t>() + 1;
        if (!is_dup(o.file)) unique[t] = unique[t].get<uint64_t>() + 1;
        if (o.structured && !is_dup(o.file)) structured[t] = structured[t].get<uint64_t>() + 1;
        occs.push_back(occurrence_json(o, true));
        if (ident.kind != Kind::kMarker) any.emplace(o.file, o.record);
      }
      json e;
      if (ident.kind != Kind::kMarker) {
        e["kind"] = std::string(KindName(ident.kind));
        e["value"] = ident.value;
        e["given"] = ident.given;
      }
      e["records"] = std::move(records);
      e["unique_records"] = std::move(unique);
      if (ident.kind != Kind::kMarker) e["structured_records"] = std::move(structured);
      e["occurrences"] = std::move(occs);
      if (ident.kind == Kind::kMarker) {
        for (auto& [t, n] : e["records"].items()) {
          marker_records[t] = marker_records[t].get<uint64_t>() + n.get<uint64_t>();
        }
        marker = std::move(e);
      } else {
        idents.push_back(std::move(e));
      }
    }
    person["identifiers"] = std::move(idents);
    json records = TypeCounts(info.types), unique = TypeCounts(info.types);
    json occs = json::array();
    for (const auto& [file, record] : any) {
      const std::string t = type_of(file);
      records[t] = records[t].get<uint64_t>() + 1;
      if (!is_dup(file)) unique[t] = unique[t].get<uint64_t>() + 1;
      occs.push_back(occurrence_json(Occurrence{file, record, {}, {}, false}, false));
    }
    person["records"] = std::move(records);
    person["unique_records"] = std::move(unique);
    person["occurrences"] = std::move(occs);
    if (!info.marker.empty()) person["marker"] = std::move(marker);
    people[p.name] = std::move(person);
  }
  if (info.marker.empty()) {
    j["marker"] = nullptr;
  } else {
    j["marker"] = {{"text", info.marker}, {"records", std::move(marker_records)}};
  }
  j["planted"] = std::move(people);
  return j;
}

}  // namespace davault::gen
