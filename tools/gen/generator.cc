// Plans davault-gen's output (files, planted record positions), writes it and the manifest.
#include "gen/generator.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <system_error>
#include <utility>

#include "gen/gzip_file.h"
#include "gen/manifest.h"
#include "gen/people.h"
#include "gen/records.h"
#include "gen/rng.h"
#include "pgp/pgp.h"

namespace davault::gen {

namespace {

// One of 4000 ranges a million wide per seed (ids keep the samples' 10 digits); a run would
// need some 77,000 conversations to reach the next range.
uint64_t IdBase(uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  return (x % 4000ULL) * 1'000'000ULL;
}


constexpr int64_t kHourMs = 3'600'000;
constexpr size_t kFlushBytes = 1 << 20;

// Which data types each identifier kind naturally goes into.
constexpr uint32_t kEmailTypes =
    TypeBit(DataType::kWebSession) | TypeBit(DataType::kEngagement) | TypeBit(DataType::kSurvey);
constexpr uint32_t kPhoneTypes = kEmailTypes;
constexpr uint32_t kVisitorTypes = kEmailTypes;
constexpr uint32_t kCustomerTypes = TypeBit(DataType::kWebSession);
constexpr uint32_t kConsumerTypes = TypeBit(DataType::kEngagement);
constexpr uint32_t kIpTypes = TypeBit(DataType::kWebSession);
constexpr uint32_t kAgentTypes = TypeBit(DataType::kAgentActivity) | TypeBit(DataType::kEngagement);

uint32_t ApplicableTypes(const PlantSpec& s) {
  uint32_t m = 0;
  if (!s.email.empty()) m |= kEmailTypes;
  if (!s.phone.empty()) m |= kPhoneTypes;
  if (!s.visitor.empty()) m |= kVisitorTypes;
  if (!s.customer.empty()) m |= kCustomerTypes;
  if (!s.consumer.empty()) m |= kConsumerTypes;
  if (!s.ip.empty()) m |= kIpTypes;
  if (!s.agent.empty()) m |= kAgentTypes;
  return m;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

bool IsIp(std::string_view s, bool* v6) {
  const std::string z(s);
  unsigned char buf[16];
  if (inet_pton(AF_INET, z.c_str(), buf) == 1) {
    *v6 = false;
    return true;
  }
  if (inet_pton(AF_INET6, z.c_str(), buf) == 1) {
    *v6 = true;
    return true;
  }
  return false;
}

std::string FileName(DataType t, int64_t scope, int part) {
  return fmt::format("{}.{}.{}.part-{:05}-0.gz", FilePrefix(t), scope, scope + kHourMs, part);
}

// A file being written: its gzip stream, a batch of lines not yet deflated, its manifest entry.
struct OpenFile {
  std::unique_ptr<GzipFile> gz;
  std::string buf;
  int entry = -1;
  uint64_t records = 0;
};

class Run {
 public:
  explicit Run(const Options& o) : o_(o) {}
  Result<Summary> Execute();

 private:
  Status PreparePlanted();
  Status Plan();
  Result<std::vector<uint64_t>> EstimateRecordsPerType();
  Status OpenOutput(DataType t, int64_t scope, int part, OpenFile& f);
  Status CloseOutput(OpenFile& f);
  // Generates the next record of type t into f; returns its uncompressed size.
  Status Emit(DataType t, Rng& rng, int64_t scope, OpenFile& f);
  bool PlantingDone() const;
  Status WriteDuplicate();
  Status WriteManifest();

  const Options& o_;
  std::vector<PlantedPerson> planted_;
  Reserved reserved_;
  std::vector<Person> pool_;
  std::vector<Agent> agents_;
  std::unique_ptr<RecordWriter> writer_;
  std::unique_ptr<pgp::Keyring> pgp_keyring_;
  PgpValues pgp_;
  Manifest manifest_;
  // Per type: sorted (record index within the type, planted person) and the next one due.
  std::vector<std::pair<uint64_t, int>> plan_[kNumTypes];
  size_t plan_next_[kNumTypes] = {};
  uint64_t index_[kNumTypes] = {};
  uint64_t total_bytes_ = 0;
  std::vector<Hit> hits_;
  Summary summary_;
};

Status Run::PreparePlanted() {
  for (size_t i = 0; i < o_.plants.size(); ++i) {
    const PlantSpec& s = o_.plants[i];
    const std::string who = fmt::format("--plant {} ({})", i + 1, s.name);
    for (size_t k = 0; k < i; ++k) {
      if (o_.plants[k].name == s.name) return Status::Usage(who + ": the name is used twice");
    }
    const uint32_t fits = ApplicableTypes(s);
    uint32_t types;
    if (s.types) {
      types = *s.types;
      for (DataType t : kAllTypes) {
        if (!(types & TypeBit(t))) continue;
        if (!(o_.types & TypeBit(t))) {
          return Status::Usage(fmt::format("{}: type {} is not among --types", who, TypeName(t)));
        }
        if (!(fits & TypeBit(t))) {
          return Status::Usage(
              fmt::format("{}: none of its identifiers goes into {} records", who, TypeName(t)));
        }
      }
    } else {
      types = fits & o_.types;
      if (types == 0) {
        return Status::Usage(who + ": none of its identifiers goes into the generated types");
      }
    }
    struct Given {
      Kind kind;
      const std::string& value;
    };
    for (const Given& g : {Given{Kind::kEmail, s.email}, Given{Kind::kPhone, s.phone},
                           Given{Kind::kVisitor, s.visitor}, Given{Kind::kCustomer, s.customer},
                           Given{Kind::kConsumer, s.consumer}, Given{Kind::kIp, s.ip},
                           Given{Kind::kAgent, s.agent}}) {
      if (g.value.empty()) continue;
      if (reserved_.Has(g.kind, g.value)) {
        return Status::Usage(
            fmt::format("{}: its {} is also given to an earlier --plant", who, KindName(g.kind)));
      }
      reserved_.Add(g.kind, g.value);
    }
    PlantedPerson p;
    p.name = s.name;
    p.types = types;
    p.count = s.count;
    p.exact_forms = s.exact_forms;
    p.email = !s.email.empty();
    p.phone = !s.phone.empty();
    p.visitor = !s.visitor.empty();
    p.customer = !s.customer.empty();
    p.consumer = !s.consumer.empty();
    p.ip = !s.ip.empty();
    p.person.email = s.email;
    p.person.phone = s.phone;
    p.person.visitor_id = s.visitor;
    p.person.customer_id = s.customer;
    p.person.consumer_id = s.consumer;
    if (p.ip) {
      bool v6 = false;
      IsIp(s.ip, &v6);
      (v6 ? p.person.ipv6 : p.person.ipv4) = s.ip;
    }
    if (!s.agent.empty()) {
      Agent a;
      if (AllDigits(s.agent) && s.agent.size() <= 18 && s.agent[0] != '0') {
        a.id = std::stoll(s.agent);
      } else if (s.agent.find('@') != std::string::npos) {
        a.login = s.agent;
      } else {
        a.username = s.agent;
      }
      p.agent = a;
    }
    planted_.push_back(std::move(p));
  }
  // Generated identifiers of planted people are reserved before the pool is drawn, so the pool
  // avoids them as well as the given ones.
  for (size_t i = 0; i < planted_.size(); ++i) {
    PlantedPerson& p = planted_[i];
    Rng rng(Rng::Derive(o_.seed, {0x706c616e74, i}));  // "plant"
    CompletePlantedPerson(rng, static_cast<int>(i), reserved_, p.person);
    reserved_.Add(Kind::kVisitor, p.person.visitor_id);
    reserved_.Add(Kind::kIp, p.person.ipv4);
    reserved_.Add(Kind::kIp, p.person.ipv6);
    if (p.agent) {
      CompletePlantedAgent(rng, static_cast<int>(i), reserved_, *p.agent);
      reserved_.AddAgent(*p.agent);
    }
  }
  for (size_t i = 0; i < planted_.size(); ++i) {
    const PlantedPerson& p = planted_[i];
    const PlantSpec& s = o_.plants[i];
    const int pi = static_cast<int>(i);
    // Given identifiers first, in the spec's order of kinds; then the ones generated for them.
    if (p.email) manifest_.Register(pi, Kind::kEmail, s.email, true);
    if (p.phone) manifest_.Register(pi, Kind::kPhone, s.phone, true);
    if (p.visitor) manifest_.Register(pi, Kind::kVisitor, s.visitor, true);
    if (p.customer) manifest_.Register(pi, Kind::kCustomer, s.customer, true);
    if (p.consumer) manifest_.Register(pi, Kind::kConsumer, s.consumer, true);
    if (p.ip) manifest_.Register(pi, Kind::kIp, s.ip, true);
    if (p.agent) {
      const std::string id = std::to_string(p.agent->id);
      for (const std::string* v : {&id, &p.agent->login, &p.agent->username}) {
        manifest_.Register(pi, Kind::kAgent, *v, *v == s.agent);
      }
    }
    const bool consumer_side =
        p.email || p.phone || p.visitor || p.customer || p.consumer || p.ip || !p.agent;
    if (!p.visitor && consumer_side && (p.types & kVisitorTypes)) {
      manifest_.Register(pi, Kind::kVisitor, p.person.visitor_id, false);
    }
    if (!p.ip && (p.types & kIpTypes)) {
      manifest_.Register(pi, Kind::kIp, p.person.ipv4, false);
    }
    if (!o_.marker.empty()) manifest_.Register(pi, Kind::kMarker, o_.marker, true);
  }
  return Status::Ok();
}

Result<std::vector<uint64_t>> Run::EstimateRecordsPerType() {
  std::vector<uint64_t> n(kNumTypes, 0);
  const uint64_t per_type = static_cast<uint64_t>(o_.hours) * o_.parts * o_.records_per_file;
  if (!o_.target_bytes) {
    std::fill(n.begin(), n.end(), per_type);
    return n;
  }
  // With a byte target the record count is unknown up front: measure the average record of
  // each type on a scratch writer (its own stream, so the output is unaffected) and place the
  // planted records within the first 85% of the estimate.
  RecordConfig cfg{o_.account, o_.form, o_.marker, IdBase(o_.seed)};
  RecordWriter scratch(cfg, pool_, agents_);
  Rng rng(Rng::Derive(o_.seed, {0x65737469}));  // "esti"
  std::string buf;
  uint64_t round = 0;
  constexpr int kSample = 48;
  for (DataType t : kAllTypes) {
    if (!(o_.types & TypeBit(t))) continue;
    buf.clear();
    for (int i = 0; i < kSample; ++i) scratch.Write(t, rng, o_.start_ms, nullptr, -1, nullptr, buf);
    round += buf.size() / kSample;
  }
  const uint64_t est =
      std::max<uint64_t>(1, *o_.target_bytes * 85 / 100 / std::max<uint64_t>(round, 1));
  std::fill(n.begin(), n.end(), est);
  return n;
}

Status Run::Plan() {
  if (planted_.empty()) return Status::Ok();
  DV_ASSIGN_OR_RETURN(std::vector<uint64_t> n, EstimateRecordsPerType());
  Rng rng(Rng::Derive(o_.seed, {0x706c6163}));  // "plac"
  std::set<uint64_t> taken[kNumTypes];
  auto pick = [&](DataType t, uint64_t lo, int count, std::vector<uint64_t>* got) -> bool {
    const int ti = static_cast<int>(t);
    const uint64_t space = n[ti] > lo ? n[ti] - lo : 0;
    uint64_t free_in_range = space;
    for (uint64_t x : taken[ti]) free_in_range -= x >= lo ? 1 : 0;
    if (free_in_range < static_cast<uint64_t>(count)) return false;
    for (int k = 0; k < count; ++k) {
      uint64_t x;
      do {
        x = lo + rng.Below(space);
      } while (taken[ti].count(x) > 0);
      taken[ti].insert(x);
      got->push_back(x);
    }
    return true;
  };
  for (size_t i = 0; i < planted_.size(); ++i) {
    const PlantedPerson& p = planted_[i];
    uint64_t first_engagement = 0;
    for (DataType t : kAllTypes) {
      if (!(p.types & TypeBit(t))) continue;
      std::vector<uint64_t> got;
      uint64_t lo = 0;
      // A person's surveys come after their first engagement, so they can join to it.
      if (t == DataType::kSurvey && (p.types & TypeBit(DataType::kEngagement))) {
        lo = first_engagement;
      }
      if (!pick(t, lo, p.count, &got) && !(lo > 0 && pick(t, 0, p.count, &got))) {
        return Status::Usage(fmt::format(
            "--plant {} ({}): not enough {} records to plant in ({} planned); raise --hours, "
            "--records-per-file or --parts",
            i + 1, p.name, TypeName(t), n[static_cast<int>(t)]));
      }
      for (uint64_t x : got) plan_[static_cast<int>(t)].emplace_back(x, static_cast<int>(i));
      if (t == DataType::kEngagement) first_engagement = *std::min_element(got.begin(), got.end());
    }
  }
  for (auto& v : plan_) std::sort(v.begin(), v.end());
  return Status::Ok();
}

bool Run::PlantingDone() const {
  for (int t = 0; t < kNumTypes; ++t) {
    if (plan_next_[t] < plan_[t].size()) return false;
  }
  return true;
}

Status Run::OpenOutput(DataType t, int64_t scope, int part, OpenFile& f) {
  FileEntry e;
  e.name = FileName(t, scope, part);
  e.type = t;
  e.scope_start = scope;
  e.part = part;
  DV_ASSIGN_OR_RETURN(f.gz, GzipFile::Create(o_.out_dir + "/" + e.name, o_.gzip_level));
  f.entry = manifest_.AddFile(std::move(e));
  f.buf.clear();
  f.records = 0;
  return Status::Ok();
}

Status Run::CloseOutput(OpenFile& f) {
  if (!f.buf.empty()) DV_RETURN_IF_ERROR(f.gz->Append(f.buf));
  f.buf.clear();
  DV_RETURN_IF_ERROR(f.gz->Finish());
  FileEntry& e = manifest_.file(f.entry);
  e.records = f.records;
  e.uncompressed_bytes = f.gz->uncompressed_bytes();
  e.compressed_bytes = f.gz->compressed_bytes();
  summary_.files += 1;
  summary_.records += e.records;
  summary_.uncompressed_bytes += e.uncompressed_bytes;
  summary_.compressed_bytes += e.compressed_bytes;
  f.gz.reset();
  return Status::Ok();
}

Status Run::Emit(DataType t, Rng& rng, int64_t scope, OpenFile& f) {
  const int ti = static_cast<int>(t);
  PlantedPerson* planted = nullptr;
  int pi = -1;
  if (plan_next_[ti] < plan_[ti].size() && plan_[ti][plan_next_[ti]].first == index_[ti]) {
    pi = plan_[ti][plan_next_[ti]++].second;
    planted = &planted_[static_cast<size_t>(pi)];
  }
  const size_t before = f.buf.size();
  hits_.clear();
  writer_->Write(t, rng, scope, planted, pi, &hits_, f.buf);
  if (!pgp_.error.ok()) return pgp_.error.Context("PGP-encrypting a value");
  if (planted != nullptr) manifest_.AddRecord(f.entry, f.records, hits_);
  total_bytes_ += f.buf.size() - before;
  ++f.records;
  ++index_[ti];
  if (f.buf.size() >= kFlushBytes) {
    DV_RETURN_IF_ERROR(f.gz->Append(f.buf));
    f.buf.clear();
  }
  return Status::Ok();
}

Status Run::WriteDuplicate() {
  const auto& files = manifest_.files();
  if (files.empty()) return Status::Ok();
  // Re-issue a file that holds planted records, an engagement file if there is one, so that
  // de-duplication and erasure of every copy are both exercised.
  int original = -1;
  for (int pass = 0; pass < 2 && original < 0; ++pass) {
    for (int i = 0; i < static_cast<int>(files.size()); ++i) {
      if ((pass == 1 || files[static_cast<size_t>(i)].type == DataType::kEngagement) &&
          manifest_.FileHasPlanted(i)) {
        original = i;
        break;
      }
    }
  }
  if (original < 0) original = 0;
  const FileEntry src = files[static_cast<size_t>(original)];
  int part = 0;
  for (const FileEntry& e : files) {
    if (e.type == src.type && e.scope_start == src.scope_start) part = std::max(part, e.part + 1);
  }
  FileEntry copy = src;
  copy.name = FileName(src.type, src.scope_start, part);
  copy.part = part;
  copy.duplicate_of = original;
  std::error_code ec;
  std::filesystem::copy_file(o_.out_dir + "/" + src.name, o_.out_dir + "/" + copy.name,
                             std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return Status::Failed(copy.name + ": cannot write the duplicate: " + ec.message());
  const int index = manifest_.AddFile(std::move(copy));
  manifest_.AddDuplicate(original, index);
  summary_.files += 1;
  summary_.records += src.records;
  summary_.uncompressed_bytes += src.uncompressed_bytes;
  summary_.compressed_bytes += src.compressed_bytes;
  return Status::Ok();
}

Status Run::WriteManifest() {
  if (o_.manifest_path.empty()) return Status::Ok();
  ManifestInfo info;
  info.seed = o_.seed;
  info.account = o_.account;
  info.form = o_.form;
  info.start_ms = o_.start_ms;
  info.layout = o_.layout == Layout::kHourly ? "hourly" : "single-file";
  info.types = o_.types;
  info.marker = o_.marker;
  std::string text;
  try {
    text = manifest_.ToJson(info, planted_).dump(2);
  } catch (const nlohmann::json::exception& e) {
    return Status::Failed(std::string("manifest: cannot serialize: ") + e.what());
  }
  text += '\n';
  std::ofstream out(o_.manifest_path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Failed(o_.manifest_path + ": cannot write the manifest");
  return Status::Ok();
}

Result<Summary> Run::Execute() {
  DV_RETURN_IF_ERROR(PreparePlanted());
  pool_ = MakePeople(o_.seed, o_.people, reserved_);
  agents_ = MakeAgents(o_.seed, o_.agents, reserved_);
  RecordConfig config{o_.account, o_.form, o_.marker, IdBase(o_.seed)};
  if (!o_.pgp_recipient_file.empty()) {
    auto k = pgp::Keyring::LoadPublicKey(Env::Default(), o_.pgp_recipient_file);
    if (!k.ok()) return k.status().Context("--pgp-recipient");
    pgp_keyring_ = std::move(k).value();
    pgp_.fields.insert(o_.pgp_fields.begin(), o_.pgp_fields.end());
    pgp_.encrypt = [this](std::string_view v) { return pgp_keyring_->EncryptArmored(v); };
    config.pgp = &pgp_;
  }
  writer_ = std::make_unique<RecordWriter>(config, pool_, agents_);
  DV_RETURN_IF_ERROR(Plan());

  std::error_code ec;
  std::filesystem::create_directories(o_.out_dir, ec);
  if (ec) return Status::Failed(o_.out_dir + ": cannot create: " + ec.message());

  const uint64_t per_type = static_cast<uint64_t>(o_.hours) * o_.parts * o_.records_per_file;
  auto reached = [&]() { return o_.target_bytes && total_bytes_ >= *o_.target_bytes; };
  auto finished = [&]() { return reached() && PlantingDone(); };

  if (o_.layout == Layout::kSingleFile) {
    OpenFile files[kNumTypes];
    Rng rngs[kNumTypes] = {Rng(0), Rng(0), Rng(0), Rng(0)};
    for (DataType t : kAllTypes) {
      if (!(o_.types & TypeBit(t))) continue;
      DV_RETURN_IF_ERROR(OpenOutput(t, o_.start_ms, 0, files[static_cast<int>(t)]));
      rngs[static_cast<int>(t)] = Rng(Rng::Derive(o_.seed, {static_cast<uint64_t>(t), 0, 0}));
    }
    bool stop = false;
    for (uint64_t k = 0; !stop; ++k) {
      if (!o_.target_bytes && k >= per_type) break;
      for (DataType t : kAllTypes) {
        if (!(o_.types & TypeBit(t))) continue;
        const int ti = static_cast<int>(t);
        DV_RETURN_IF_ERROR(Emit(t, rngs[ti], o_.start_ms, files[ti]));
        if (finished()) {
          stop = true;
          break;
        }
      }
    }
    for (DataType t : kAllTypes) {
      if (o_.types & TypeBit(t)) DV_RETURN_IF_ERROR(CloseOutput(files[static_cast<int>(t)]));
    }
  } else {
    bool stop = false;
    for (int64_t h = 0; !stop; ++h) {
      if (!o_.target_bytes && h >= o_.hours) break;
      const int64_t scope = o_.start_ms + h * kHourMs;
      for (DataType t : kAllTypes) {
        if (stop) break;
        if (!(o_.types & TypeBit(t))) continue;
        for (int part = 0; part < o_.parts && !stop; ++part) {
          Rng rng(Rng::Derive(o_.seed, {static_cast<uint64_t>(t), static_cast<uint64_t>(h),
                                        static_cast<uint64_t>(part)}));
          OpenFile f;
          DV_RETURN_IF_ERROR(OpenOutput(t, scope, part, f));
          for (int r = 0; r < o_.records_per_file; ++r) {
            DV_RETURN_IF_ERROR(Emit(t, rng, scope, f));
            if (finished()) {
              stop = true;
              break;
            }
          }
          DV_RETURN_IF_ERROR(CloseOutput(f));
        }
      }
    }
  }
  if (!PlantingDone()) {
    return Status::Failed("internal error: some planted records were not written");
  }
  if (o_.dup_file) DV_RETURN_IF_ERROR(WriteDuplicate());
  DV_RETURN_IF_ERROR(WriteManifest());
  summary_.pgp_values = pgp_.values;
  return summary_;
}

std::vector<std::string_view> SplitList(std::string_view s) {
  std::vector<std::string_view> out;
  size_t b = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',' || s[i] == '+' || s[i] == ';') {
      if (i > b) out.push_back(s.substr(b, i - b));
      b = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<uint32_t> ParseTypeList(std::string_view text) {
  uint32_t mask = 0;
  for (std::string_view name : SplitList(text)) {
    auto t = ParseTypeName(name);
    if (!t) {
      return Status::Usage(fmt::format(
          "unknown data type '{}' (expected agentActivity, webSession, engagement, survey)", name));
    }
    mask |= TypeBit(*t);
  }
  if (mask == 0) return Status::Usage("empty list of data types");
  return mask;
}

Result<uint64_t> ParseSize(std::string_view text) {
  size_t i = 0;
  uint64_t whole = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == 0) return Status::Usage(fmt::format("size '{}': expected a number", text));
  uint64_t frac = 0, frac_div = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (frac_div < 1'000'000'000) {
        frac = frac * 10 + static_cast<uint64_t>(text[i] - '0');
        frac_div *= 10;
      }
      ++i;
    }
  }
  std::string unit;
  for (char c : text.substr(i)) {
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  uint64_t mult;
  if (unit.empty() || unit == "b") {
    mult = 1;
  } else if (unit == "k" || unit == "kb") {
    mult = 1'000;
  } else if (unit == "m" || unit == "mb") {
    mult = 1'000'000;
  } else if (unit == "g" || unit == "gb") {
    mult = 1'000'000'000;
  } else if (unit == "kib") {
    mult = 1ULL << 10;
  } else if (unit == "mib") {
    mult = 1ULL << 20;
  } else if (unit == "gib") {
    mult = 1ULL << 30;
  } else {
    return Status::Usage(
        fmt::format("size '{}': unknown unit (use KB, MB, GB, KiB, MiB, GiB)", text));
  }
  const uint64_t bytes = whole * mult + frac * mult / frac_div;
  if (bytes == 0) return Status::Usage(fmt::format("size '{}': must be more than 0", text));
  return bytes;
}

Result<PlantSpec> ParsePlantSpec(std::string_view spec) {
  PlantSpec s;
  // Split on ',' but let a piece without '=' continue the previous value, so that
  // "types=webSession,engagement,count=2" reads as intended.
  std::vector<std::pair<std::string, std::string>> kv;
  size_t b = 0;
  for (size_t i = 0; i <= spec.size(); ++i) {
    if (i < spec.size() && spec[i] != ',') continue;
    std::string_view piece = spec.substr(b, i - b);
    b = i + 1;
    if (piece.empty()) continue;
    const size_t eq = piece.find('=');
    if (eq == std::string_view::npos) {
      if (kv.empty()) return Status::Usage("--plant: expected KEY=VALUE pairs");
      kv.back().second += ',';
      kv.back().second += piece;
      continue;
    }
    kv.emplace_back(std::string(piece.substr(0, eq)), std::string(piece.substr(eq + 1)));
  }
  std::set<std::string> seen;
  for (const auto& [key, value] : kv) {
    if (!seen.insert(key).second) return Status::Usage("--plant: key '" + key + "' given twice");
    // Values are synthetic identifiers, but they are still not echoed in messages.
    if (value.empty()) return Status::Usage("--plant: key '" + key + "' has an empty value");
    if (key == "name") {
      for (char c : value) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
          return Status::Usage("--plant: name may hold only letters, digits, '_', '-' and '.'");
        }
      }
      s.name = value;
    } else if (key == "email") {
      if (value.find('@') == std::string::npos) {
        return Status::Usage("--plant: email is not an e-mail address");
      }
      s.email = value;
    } else if (key == "phone") {
      if (std::count_if(value.begin(), value.end(),
                        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) < 7) {
        return Status::Usage("--plant: phone has fewer than 7 digits");
      }
      s.phone = value;
    } else if (key == "visitor") {
      s.visitor = value;
    } else if (key == "customer") {
      s.customer = value;
    } else if (key == "consumer") {
      s.consumer = value;
    } else if (key == "ip") {
      bool v6 = false;
      if (!IsIp(value, &v6)) return Status::Usage("--plant: ip is not an IPv4 or IPv6 address");
      s.ip = value;
    } else if (key == "agent") {
      s.agent = value;
    } else if (key == "types") {
      DV_ASSIGN_OR_RETURN(uint32_t mask, ParseTypeList(value));
      s.types = mask;
    } else if (key == "count") {
      if (!AllDigits(value) || value.size() > 6 || std::stoi(value) < 1) {
        return Status::Usage("--plant: count must be a whole number from 1");
      }
      s.count = std::stoi(value);
    } else if (key == "forms") {
      if (value == "exact") {
        s.exact_forms = true;
      } else if (value == "mixed") {
        s.exact_forms = false;
      } else {
        return Status::Usage("--plant: forms must be 'exact' or 'mixed'");
      }
    } else {
      return Status::Usage("--plant: unknown key '" + key +
                           "' (expected name, email, phone, visitor, customer, consumer, ip, "
                           "agent, types, count, forms)");
    }
  }
  if (s.name.empty()) return Status::Usage("--plant: name= is required");
  if (s.email.empty() && s.phone.empty() && s.visitor.empty() && s.customer.empty() &&
      s.consumer.empty() && s.ip.empty() && s.agent.empty()) {
    return Status::Usage("--plant " + s.name + ": give at least one identifier");
  }
  return s;
}

Result<Summary> Generate(const Options& o) {
  if (o.out_dir.empty()) return Status::Usage("--out is required");
  if (o.hours < 1) return Status::Usage("--hours must be at least 1");
  if (o.records_per_file < 1) return Status::Usage("--records-per-file must be at least 1");
  if (o.parts < 1 || o.parts > 99999) return Status::Usage("--parts must be from 1 to 99999");
  if (o.people < 1) return Status::Usage("--people must be at least 1");
  if (o.agents < 2) return Status::Usage("--agents must be at least 2");
  if (o.types == 0) return Status::Usage("--types is empty");
  if (o.start_ms % kHourMs != 0) {
    return Status::Usage("--start must be the start of an hour (UTC)");
  }
  if (o.gzip_level < 1 || o.gzip_level > 9) return Status::Usage("--gzip-level must be 1 to 9");
  if (!AllDigits(o.account)) return Status::Usage("--account must be digits");
  if (o.marker.find('\n') != std::string::npos) {
    return Status::Usage("--marker must be one line");
  }
  Run run(o);
  return run.Execute();
}

}  // namespace davault::gen
