// Extractor: one on-demand pass over a record; rules are found by the last path component and
// confirmed by comparing the path suffix, so no per-field allocation happens on the way.
#include "identity/extractor.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "identity/text_scan.h"

namespace davault::identity {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// simdjson bounds depth too; this bounds our own recursion independently of its settings.
constexpr int kMaxDepth = 1024;
constexpr std::string_view kNamedPrefix = "com.liveperson.dataaccess.";
constexpr std::string_view kPgpArmor = "-----BEGIN PGP MESSAGE-----";
constexpr size_t kMaxFieldComponent = 64;
constexpr size_t kLinearKeyValues = 16;

enum class Role : uint8_t { kIdentifier, kNaturalKey, kFreeText, kStructured };
enum class Category : uint8_t { kUnknown, kFreeText, kStructured };

struct ExactRule {
  std::vector<std::string> comps;
  Role role = Role::kStructured;
  Kind kind = Kind::kEmail;
  bool expect_long = false;
  std::vector<std::string> ignore;
  int key_index = -1;
  std::string field;  // the policy path, used as the reported field name
};

struct SubtreeRule {
  std::vector<std::string> comps;  // without the trailing "*"
  Category category = Category::kStructured;
};

struct Bucket {
  std::string name;
  std::vector<uint16_t> exact;
  std::vector<uint16_t> subtree;
};

// Open-addressing table from a path component to the rules whose path ends with it.
class NameTable {
 public:
  void Build(std::vector<Bucket> buckets) {
    buckets_ = std::move(buckets);
    size_t cap = 16;
    while (cap < buckets_.size() * 4) cap <<= 1;
    slots_.assign(cap, -1);
    mask_ = cap - 1;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      const std::string& n = buckets_[i].name;
      if (!n.empty() && n.size() < kMaxLen) {
        unsigned char c = static_cast<unsigned char>(n[0]);
        first_bytes_[n.size()][c >> 6] |= uint64_t{1} << (c & 63);
      }
      size_t s = Hash(buckets_[i].name) & mask_;
      while (slots_[s] >= 0) s = (s + 1) & mask_;
      slots_[s] = static_cast<int32_t>(i);
    }
  }

  const Bucket* Find(std::string_view name) const {
    // Most keys of a record have no rule: reject them by length and first byte before hashing.
    if (name.empty() || name.size() >= kMaxLen) return nullptr;
    if (!(first_bytes_[name.size()][static_cast<unsigned char>(name[0]) >> 6] &
          (uint64_t{1} << (static_cast<unsigned char>(name[0]) & 63)))) {
      return nullptr;
    }
    size_t s = Hash(name) & mask_;
    while (slots_[s] >= 0) {
      const Bucket& b = buckets_[static_cast<size_t>(slots_[s])];
      if (b.name.size() == name.size() &&
          std::memcmp(b.name.data(), name.data(), name.size()) == 0) {
        return &b;
      }
      s = (s + 1) & mask_;
    }
    return nullptr;
  }

 private:
  // Called for every key of every record: the length and the first and last eight bytes.
  static size_t Hash(std::string_view s) {
    uint64_t h = s.size() * 0x9E3779B97F4A7C15ull;
    if (s.size() >= 8) {
      uint64_t a, b;
      std::memcpy(&a, s.data(), 8);
      std::memcpy(&b, s.data() + s.size() - 8, 8);
      h ^= a * 0xC2B2AE3D27D4EB4Full;
      h ^= (b ^ (b >> 31)) * 0x165667B19E3779F9ull;
    } else {
      for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
    }
    return static_cast<size_t>(h ^ (h >> 32));
  }

  static constexpr size_t kMaxLen = kMaxFieldComponent + 1;  // Create refuses longer names

  std::vector<Bucket> buckets_;
  std::vector<int32_t> slots_;
  size_t mask_ = 0;
  uint64_t first_bytes_[kMaxLen][4] = {};
};

// Free texts repeat a lot (the pages of a site, canned and system transcript lines), and the
// phone matcher costs microseconds per text: remember recent answers. In memory only.
class PhoneMemo {
 public:
  static constexpr size_t kSlots = 1024;
  static constexpr size_t kMaxText = 1024;

  PhoneMemo() : slots_(kSlots) {}

  const std::vector<Normalized>& Find(std::string_view text, const std::string& region) {
    if (text.size() > kMaxText) {
      scratch_.clear();
      internal::FindPhoneNumbers(text, region, &scratch_);
      return scratch_;
    }
    Slot& slot = slots_[std::hash<std::string_view>()(text) & (kSlots - 1)];
    if (!slot.used || slot.text != text) {
      slot.used = true;
      slot.text.assign(text);
      slot.phones.clear();
      internal::FindPhoneNumbers(text, region, &slot.phones);
    }
    return slot.phones;
  }

 private:
  struct Slot {
    bool used = false;
    std::string text;
    std::vector<Normalized> phones;
  };
  std::vector<Slot> slots_;
  std::vector<Normalized> scratch_;
};

struct TypeTable {
  std::vector<ExactRule> exact;
  std::vector<SubtreeRule> subtree;
  NameTable names;
  size_t key_paths = 0;
};

enum class Branch : uint8_t { kNone, kPrimitive, kMap, kNamed };

// Avro JSON wraps a union value in a one-key object naming the branch.
Branch ClassifyBranch(std::string_view key) {
  switch (key.size()) {
    case 3:
      if (key == "int") return Branch::kPrimitive;
      if (key == "map") return Branch::kMap;
      break;
    case 4:
      if (key == "long") return Branch::kPrimitive;
      break;
    case 5:
      if (key == "float" || key == "bytes" || key == "array") return Branch::kPrimitive;
      break;
    case 6:
      if (key == "string" || key == "double") return Branch::kPrimitive;
      break;
    case 7:
      if (key == "boolean") return Branch::kPrimitive;
      break;
    default:
      break;
  }
  if (key.size() > kNamedPrefix.size() && key.substr(0, kNamedPrefix.size()) == kNamedPrefix) {
    return Branch::kNamed;
  }
  return Branch::kNone;
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  while (true) {
    size_t dot = path.find('.');
    out.emplace_back(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path = path.substr(dot + 1);
  }
  return out;
}

bool IsJsonNumber(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  auto digit = [&](size_t k) { return k < n && t[k] >= '0' && t[k] <= '9'; };
  if (i < n && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < n && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

std::string_view TrimJsonSpace(std::string_view t) {
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  return t;
}

bool IsPlainComponent(std::string_view s) {
  if (s.empty() || s.size() > kMaxFieldComponent) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string ErrorName(error_code e) {
  switch (e) {
    case simdjson::CAPACITY:
      return "CAPACITY";
    case simdjson::MEMALLOC:
      return "MEMALLOC";
    case simdjson::TAPE_ERROR:
      return "TAPE_ERROR";
    case simdjson::DEPTH_ERROR:
      return "DEPTH_ERROR";
    case simdjson::STRING_ERROR:
      return "STRING_ERROR";
    case simdjson::T_ATOM_ERROR:
      return "T_ATOM_ERROR";
    case simdjson::F_ATOM_ERROR:
      return "F_ATOM_ERROR";
    case simdjson::N_ATOM_ERROR:
      return "N_ATOM_ERROR";
    case simdjson::NUMBER_ERROR:
      return "NUMBER_ERROR";
    case simdjson::UTF8_ERROR:
      return "UTF8_ERROR";
    case simdjson::EMPTY:
      return "EMPTY";
    case simdjson::UNESCAPED_CHARS:
      return "UNESCAPED_CHARS";
    case simdjson::UNCLOSED_STRING:
      return "UNCLOSED_STRING";
    case simdjson::INCORRECT_TYPE:
      return "INCORRECT_TYPE";
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "NUMBER_OUT_OF_RANGE";
    case simdjson::TRAILING_CONTENT:
      return "TRAILING_CONTENT";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      return "INCOMPLETE_ARRAY_OR_OBJECT";
    case simdjson::SCALAR_DOCUMENT_AS_VALUE:
      return "SCALAR_DOCUMENT_AS_VALUE";
    case simdjson::OUT_OF_BOUNDS:
      return "OUT_OF_BOUNDS";
    default:
      return "simdjson error " + std::to_string(static_cast<int>(e));
  }
}

Status NotJson(error_code e) {
  return Status::Failed("record is not valid JSON (" + ErrorName(e) + ")");
}

// Appends v to a natural key, escaping the separators.
void AppendEscaped(std::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\' || c == ',' || c == '|') out->push_back('\\');
    out->push_back(c);
  }
}

}  // namespace

struct Extractor::Impl {
  struct Frame {
    std::string_view name;
    uint32_t match_begin = 0;
    uint32_t match_end = 0;
    Category subtree = Category::kUnknown;
    bool identifier = false;
  };

  NormalizeOptions opts;
  int min_phone_digits = 7;
  TypeTable tables[5];  // indexed by format::DataType
  PhoneMemo phone_memo;

  od::parser parser;
  std::unique_ptr<char[]> buf;
  size_t cap = 0;

  // State of the record being extracted.
  const TypeTable* table = nullptr;
  ExtractedRecord* rec = nullptr;
  std::vector<Frame> frames;
  std::vector<uint16_t> matches;
  std::vector<std::vector<std::string>> keys;
  std::vector<std::unordered_set<std::string>> key_sets;
  std::vector<std::string_view> email_scratch;
  std::string decoded_scratch;
  std::string url_scratch;
  PgpDecryptor pgp_decrypt;
  std::string pgp_plain;      // the value being decrypted; wiped after use
  bool in_decrypted = false;  // an armoured value inside a decrypted one stays opaque

  Status AddTypeRules(const policy::TypeRules& tr, const std::string& source) {
    auto where = [&](int line) { return line > 0 ? source + ":" + std::to_string(line) : source; };
    std::optional<format::DataType> type = format::ParseDataType(tr.data_type);
    if (!type || format::DataTypeName(*type) != tr.data_type) {
      return Status::Failed(where(tr.line) + ": unknown data type '" + tr.data_type + "'");
    }
    TypeTable& t = tables[static_cast<size_t>(*type)];
    if (!t.exact.empty() || t.key_paths > 0) {
      return Status::Failed(where(tr.line) + ": data type '" + tr.data_type + "' given twice");
    }
    for (size_t i = 0; i < tr.natural_key_paths.size(); ++i) {
      ExactRule r;
      r.comps = SplitPath(tr.natural_key_paths[i]);
      r.role = Role::kNaturalKey;
      r.key_index = static_cast<int>(i);
      r.field = tr.natural_key_paths[i];
      t.exact.push_back(std::move(r));
    }
    t.key_paths = tr.natural_key_paths.size();
    for (const policy::FieldRule& fr : tr.fields) {
      std::optional<Kind> kind = ParseKind(fr.kind);
      if (!kind) {
        return Status::Failed(where(fr.line) + ": unknown identifier kind '" + fr.kind + "'");
      }
      if (fr.expect != "string" && fr.expect != "long") {
        return Status::Failed(where(fr.line) + ": 'expect' must be \"string\" or \"long\"");
      }
      ExactRule r;
      r.comps = SplitPath(fr.path);
      r.role = Role::kIdentifier;
      r.kind = *kind;
      r.expect_long = fr.expect == "long";
      r.ignore = fr.ignore_values;
      r.field = fr.path;
      t.exact.push_back(std::move(r));
    }
    auto add_category = [&](const std::vector<std::string>& paths, Role role, Category cat) {
      for (const std::string& p : paths) {
        if (p.size() > 2 && p.compare(p.size() - 2, 2, ".*") == 0) {
          t.subtree.push_back(
              SubtreeRule{SplitPath(std::string_view(p).substr(0, p.size() - 2)), cat});
        } else {
          ExactRule r;
          r.comps = SplitPath(p);
          r.role = role;
          r.field = p;
          t.exact.push_back(std::move(r));
        }
      }
    };
    add_category(tr.free_text_paths, Role::kFreeText, Category::kFreeText);
    add_category(tr.structured_paths, Role::kStructured, Category::kStructured);
    if (t.exact.size() > 60000 || t.subtree.size() > 60000) {
      return Status::Failed(where(tr.line) + ": too many rules");
    }
    auto too_long = [](const std::vector<std::string>& comps) {
      for (const std::string& c : comps) {
        if (c.size() > kMaxFieldComponent) return true;
      }
      return false;
    };
    for (const ExactRule& r : t.exact) {
      if (too_long(r.comps)) {
        return Status::Failed(where(tr.line) + ": path '" + r.field + "' has a name over " +
                              std::to_string(kMaxFieldComponent) + " characters");
      }
    }
    for (const SubtreeRule& r : t.subtree) {
      if (too_long(r.comps)) {
        return Status::Failed(where(tr.line) + ": a path has a name over " +
                              std::to_string(kMaxFieldComponent) + " characters");
      }
    }
    std::vector<Bucket> buckets;
    auto bucket_for = [&](const std::string& name) -> Bucket& {
      for (Bucket& b : buckets) {
        if (b.name == name) return b;
      }
      buckets.push_back(Bucket{name, {}, {}});
      return buckets.back();
    };
    for (size_t i = 0; i < t.exact.size(); ++i) {
      bucket_for(t.exact[i].comps.back()).exact.push_back(static_cast<uint16_t>(i));
    }
    for (size_t i = 0; i < t.subtree.size(); ++i) {
      bucket_for(t.subtree[i].comps.back()).subtree.push_back(static_cast<uint16_t>(i));
    }
    t.names.Build(std::move(buckets));
    return Status::Ok();
  }

  // ---- path stack ----

  // The last component is known to match (it selected the bucket).
  bool SuffixMatches(const std::vector<std::string>& comps) const {
    if (comps.size() > frames.size()) return false;
    size_t d = frames.size();
    for (size_t j = 1; j < comps.size(); ++j) {
      if (frames[d - 1 - j].name != comps[comps.size() - 1 - j]) return false;
    }
    return true;
  }

  void Push(std::string_view name) {
    Frame f;
    f.name = name;
    f.match_begin = static_cast<uint32_t>(matches.size());
    f.subtree = frames.empty() ? Category::kUnknown : frames.back().subtree;
    frames.push_back(f);
    if (const Bucket* b = table->names.Find(name)) {
      Frame& top = frames.back();
      for (uint16_t idx : b->exact) {
        if (SuffixMatches(table->exact[idx].comps)) {
          matches.push_back(idx);
          if (table->exact[idx].role == Role::kIdentifier) top.identifier = true;
        }
      }
      for (uint16_t idx : b->subtree) {
        if (SuffixMatches(table->subtree[idx].comps)) top.subtree = table->subtree[idx].category;
      }
    }
    frames.back().match_end = static_cast<uint32_t>(matches.size());
  }

  void Pop() {
    matches.resize(frames.back().match_begin);
    frames.pop_back();
  }

  bool TopIsIdentifier() const { return !frames.empty() && frames.back().identifier; }

  // A short field name for reports: the matching rule's path, or the last two components.
  std::string FieldName(const ExactRule* rule) const {
    if (rule != nullptr) return rule->field;
    std::string out;
    size_t first = frames.size() >= 2 ? frames.size() - 2 : 0;
    for (size_t i = first; i < frames.size(); ++i) {
      if (!out.empty()) out.push_back('.');
      std::string_view n = frames[i].name;
      out.append(IsPlainComponent(n) ? n : std::string_view("?"));
    }
    return out.empty() ? std::string("?") : out;
  }

  void AddIdentifier(Kind kind, Normalized n, std::string field, bool from_free_text) {
    rec->identifiers.push_back(
        Identifier{kind, std::move(n.value), std::move(field), n.needs_review, from_free_text});
  }

  void AddKeyValue(const ExactRule& r, std::string_view v) {
    v = internal::TrimSpace(v);
    if (v.empty()) return;
    const size_t i = static_cast<size_t>(r.key_index);
    std::vector<std::string>& values = keys[i];
    if (values.size() < kLinearKeyValues) {
      for (const std::string& existing : values) {
        if (existing == v) return;
      }
    } else {
      // A record with very many values (hostile or not) must not cost quadratic time.
      std::unordered_set<std::string>& seen = key_sets[i];
      if (seen.empty()) seen.insert(values.begin(), values.end());
      if (!seen.emplace(v).second) return;
    }
    values.emplace_back(v);
  }

  static bool Ignored(const ExactRule& r, std::string_view v) {
    for (const std::string& i : r.ignore) {
      if (i == v) return true;
    }
    return false;
  }

  // ---- leaves ----

  // An armoured value: decrypted and handled as the field's value when a decryptor is set and
  // succeeds, else kept opaque (never scanned, never indexed) and its field noted.
  void OnPgpString(std::string_view s) {
    if (pgp_decrypt && !in_decrypted) {
      Status st = pgp_decrypt(s, &pgp_plain);
      if (st.ok()) {
        ++rec->pgp_decrypted;
        in_decrypted = true;
        OnString(pgp_plain);
        in_decrypted = false;
        WipeString(&pgp_plain);
        return;
      }
      WipeString(&pgp_plain);
    }
    ++rec->pgp_values;
    const ExactRule* rule = nullptr;
    if (!frames.empty()) {
      const Frame& top = frames.back();
      if (top.match_begin < top.match_end) rule = &table->exact[matches[top.match_begin]];
    }
    rec->pgp_fields.push_back(FieldName(rule));
  }

  static void WipeString(std::string* s) {
    volatile char* p = s->data();
    for (size_t i = 0; i < s->size(); ++i) p[i] = 0;
    s->clear();
  }

  void OnString(std::string_view s) {
    if (s.size() >= kPgpArmor.size() &&
        memmem(s.data(), s.size(), kPgpArmor.data(), kPgpArmor.size()) != nullptr) {
      OnPgpString(s);
      return;
    }
    bool identifier_field = false;
    bool exact_free = false;
    bool exact_other = false;
    bool email_done = false;
    bool phone_done = false;
    const ExactRule* name_rule = nullptr;
    if (!frames.empty()) {
      const Frame& top = frames.back();
      for (uint32_t m = top.match_begin; m < top.match_end; ++m) {
        const ExactRule& r = table->exact[matches[m]];
        if (name_rule == nullptr ||
            (name_rule->role == Role::kNaturalKey && r.role != Role::kNaturalKey)) {
          name_rule = &r;
        }
        switch (r.role) {
          case Role::kNaturalKey:
            exact_other = true;
            AddKeyValue(r, s);
            break;
          case Role::kFreeText:
            exact_free = true;
            break;
          case Role::kStructured:
            exact_other = true;
            break;
          case Role::kIdentifier: {
            identifier_field = true;
            std::string_view trimmed = internal::TrimSpace(s);
            if (trimmed.empty()) break;  // an empty string identifies nobody
            if (r.expect_long) ++rec->schema_anomalies;
            if (Ignored(r, trimmed)) break;
            Result<Normalized> n = Normalize(r.kind, trimmed, opts);
            if (n.ok()) {
              if (r.kind == Kind::kEmail) email_done = true;
              if (r.kind == Kind::kPhone && !n.value().needs_review) phone_done = true;
              AddIdentifier(r.kind, std::move(n).value(), r.field, false);
            } else if (r.kind == Kind::kIp) {
              ++rec->schema_anomalies;
            }
            break;
          }
        }
      }
    }
    Category cat = Category::kUnknown;
    if (exact_free) {
      cat = Category::kFreeText;
    } else if (identifier_field || exact_other) {
      cat = Category::kStructured;
    } else if (!frames.empty()) {
      cat = frames.back().subtree;
    }
    const bool scan_all = cat != Category::kStructured;
    // E-mail addresses are looked for in every string.
    if (!email_done) {
      if (std::memchr(s.data(), '@', s.size()) != nullptr) ScanEmails(s, name_rule);
      // URL query strings carry '@' as "%40".
      if (scan_all && internal::PercentDecodeIfEncodedAt(s, &decoded_scratch)) {
        ScanEmails(decoded_scratch, name_rule);
      }
    }
    // Phone numbers only in free text and unknown fields, and in a phone field that did not
    // hold just a number.
    bool phone_field_needs_scan = identifier_field && !phone_done && HasPhoneRule();
    if (scan_all || phone_field_needs_scan) {
      std::string_view text = internal::PhoneSearchText(s, &url_scratch);
      if (internal::MayContainPhone(text, min_phone_digits)) {
        for (const Normalized& n : phone_memo.Find(text, opts.default_region)) {
          AddIdentifier(Kind::kPhone, n, FieldName(name_rule), true);
        }
      }
    }
  }

  bool HasPhoneRule() const {
    const Frame& top = frames.back();
    for (uint32_t m = top.match_begin; m < top.match_end; ++m) {
      const ExactRule& r = table->exact[matches[m]];
      if (r.role == Role::kIdentifier && r.kind == Kind::kPhone) return true;
    }
    return false;
  }

  void ScanEmails(std::string_view s, const ExactRule* name_rule) {
    email_scratch.clear();
    internal::FindEmailCandidates(s, &email_scratch);
    for (std::string_view candidate : email_scratch) {
      Result<Normalized> n = Normalize(Kind::kEmail, candidate, opts);
      if (n.ok()) AddIdentifier(Kind::kEmail, std::move(n).value(), FieldName(name_rule), true);
    }
  }

  void OnNumber(std::string_view token) {
    if (frames.empty()) return;
    const Frame& top = frames.back();
    for (uint32_t m = top.match_begin; m < top.match_end; ++m) {
      const ExactRule& r = table->exact[matches[m]];
      if (r.role == Role::kNaturalKey) {
        AddKeyValue(r, token);
      } else if (r.role == Role::kIdentifier) {
        // The raw token keeps every digit: 9007199254740993 never passes through a double.
        if (!r.expect_long) ++rec->schema_anomalies;
        if (Ignored(r, token)) continue;
        Result<Normalized> n = Normalize(r.kind, token, opts);
        if (n.ok()) AddIdentifier(r.kind, std::move(n).value(), r.field, false);
      }
    }
  }

  // ---- the walk ----

  error_code WalkValue(od::value v, int depth) {
    if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
    od::json_type t;
    SIMDJSON_TRY(v.type().get(t));
    switch (t) {
      case od::json_type::object: {
        od::object o;
        SIMDJSON_TRY(v.get_object().get(o));
        return WalkObject(o, depth, /*is_map=*/false);
      }
      case od::json_type::array: {
        od::array a;
        SIMDJSON_TRY(v.get_array().get(a));
        for (auto element : a) {
          od::value ev;
          SIMDJSON_TRY(element.get(ev));
          SIMDJSON_TRY(WalkValue(ev, depth + 1));
        }
        return simdjson::SUCCESS;
      }
      case od::json_type::string: {
        std::string_view s;
        SIMDJSON_TRY(v.get_string().get(s));
        OnString(s);
        return simdjson::SUCCESS;
      }
      case od::json_type::number: {
        std::string_view token = TrimJsonSpace(v.raw_json_token());
        if (!IsJsonNumber(token)) return simdjson::NUMBER_ERROR;
        OnNumber(token);
        return simdjson::SUCCESS;
      }
      case od::json_type::boolean: {
        bool b;
        SIMDJSON_TRY(v.get_bool().get(b));
        if (TopIsIdentifier()) ++rec->schema_anomalies;
        return simdjson::SUCCESS;
      }
      case od::json_type::null: {
        bool is_null = false;
        SIMDJSON_TRY(v.is_null().get(is_null));
        return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
      }
    }
    return simdjson::INCORRECT_TYPE;
  }

  error_code WalkObject(od::object& o, int depth, bool is_map) {
    bool first = true;
    for (auto member : o) {
      od::field f;
      SIMDJSON_TRY(std::move(member).get(f));
      std::string_view key;
      SIMDJSON_TRY(f.unescaped_key().get(key));
      od::value v = f.value();
      if (is_map) {
        // Map keys are data, not field names: the values keep the map's path.
        SIMDJSON_TRY(WalkValue(v, depth + 1));
        continue;
      }
      if (first) {
        first = false;
        switch (ClassifyBranch(key)) {
          case Branch::kPrimitive:
            SIMDJSON_TRY(WalkValue(v, depth + 1));
            continue;
          case Branch::kMap: {
            od::json_type t;
            SIMDJSON_TRY(v.type().get(t));
            if (t == od::json_type::object) {
              od::object m;
              SIMDJSON_TRY(v.get_object().get(m));
              SIMDJSON_TRY(WalkObject(m, depth + 1, /*is_map=*/true));
            } else {
              SIMDJSON_TRY(WalkValue(v, depth + 1));
            }
            continue;
          }
          case Branch::kNamed: {
            if (TopIsIdentifier()) ++rec->schema_anomalies;
            Push(key.substr(kNamedPrefix.size()));
            error_code e = WalkValue(v, depth + 1);
            Pop();
            SIMDJSON_TRY(e);
            continue;
          }
          case Branch::kNone:
            // An identifier field holding a record instead of a value.
            if (TopIsIdentifier()) ++rec->schema_anomalies;
            break;
        }
      }
      Push(key);
      error_code e = WalkValue(v, depth + 1);
      Pop();
      SIMDJSON_TRY(e);
    }
    return simdjson::SUCCESS;
  }

  // Reads a union-wrapped or bare scalar; sets *numeric for a JSON number. Anything else found
  // on the way is walked like the rest of the record.
  error_code ReadScalar(od::value v, int depth, std::string* out, bool* numeric) {
    if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
    od::json_type t;
    SIMDJSON_TRY(v.type().get(t));
    switch (t) {
      case od::json_type::string: {
        std::string_view s;
        SIMDJSON_TRY(v.get_string().get(s));
        out->assign(s);
        *numeric = false;
        return simdjson::SUCCESS;
      }
      case od::json_type::number: {
        std::string_view token = TrimJsonSpace(v.raw_json_token());
        if (!IsJsonNumber(token)) return simdjson::NUMBER_ERROR;
        out->assign(token);
        *numeric = true;
        return simdjson::SUCCESS;
      }
      case od::json_type::object: {
        od::object o;
        SIMDJSON_TRY(v.get_object().get(o));
        bool first = true;
        for (auto member : o) {
          od::field f;
          SIMDJSON_TRY(std::move(member).get(f));
          std::string_view key;
          SIMDJSON_TRY(f.unescaped_key().get(key));
          od::value inner = f.value();
          if (first) {
            first = false;
            SIMDJSON_TRY(ReadScalar(inner, depth + 1, out, numeric));
            continue;
          }
          Push(key);
          error_code e = WalkValue(inner, depth + 1);
          Pop();
          SIMDJSON_TRY(e);
        }
        return simdjson::SUCCESS;
      }
      default:
        return WalkValue(v, depth);
    }
  }

  error_code ReadMillis(od::value v, int depth, std::optional<int64_t>* out) {
    std::string text;
    bool numeric = false;
    SIMDJSON_TRY(ReadScalar(v, depth, &text, &numeric));
    if (text.empty()) return simdjson::SUCCESS;  // null: no time
    int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (numeric && ec == std::errc() && ptr == text.data() + text.size()) {
      *out = ms;
    } else {
      ++rec->schema_anomalies;
    }
    return simdjson::SUCCESS;
  }

  error_code WalkMeta(od::value v, int depth) {
    if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
    od::json_type t;
    SIMDJSON_TRY(v.type().get(t));
    if (t != od::json_type::object) {
      Push("metaData");
      error_code e = WalkValue(v, depth);
      Pop();
      return e;
    }
    od::object o;
    SIMDJSON_TRY(v.get_object().get(o));
    bool first = true;
    for (auto member : o) {
      od::field f;
      SIMDJSON_TRY(std::move(member).get(f));
      std::string_view key;
      SIMDJSON_TRY(f.unescaped_key().get(key));
      od::value inner = f.value();
      if (first) {
        first = false;
        // Production form: {"com.liveperson.dataaccess.MetaData": {...}}.
        if (ClassifyBranch(key) == Branch::kNamed) {
          SIMDJSON_TRY(WalkMeta(inner, depth + 1));
          continue;
        }
      }
      bool numeric = false;
      if (key == "accountId") {
        SIMDJSON_TRY(ReadScalar(inner, depth + 1, &rec->account_id, &numeric));
      } else if (key == "schemaVersion") {
        SIMDJSON_TRY(ReadScalar(inner, depth + 1, &rec->schema_version, &numeric));
      } else if (key == "startTime") {
        SIMDJSON_TRY(ReadMillis(inner, depth + 1, &rec->start_ms));
      } else if (key == "endTime") {
        SIMDJSON_TRY(ReadMillis(inner, depth + 1, &rec->end_ms));
      } else {
        Push("metaData");
        Push(key);
        error_code e = WalkValue(inner, depth + 1);
        Pop();
        Pop();
        SIMDJSON_TRY(e);
      }
    }
    return simdjson::SUCCESS;
  }

  // dataType: bare "Engagement" or {"com.liveperson.dataaccess.DataTypeEnum": "Engagement"}.
  error_code ReadTypeName(od::value v, int depth, std::string* out) {
    if (depth > 4) return simdjson::SUCCESS;
    od::json_type t;
    SIMDJSON_TRY(v.type().get(t));
    if (t == od::json_type::string) {
      std::string_view s;
      SIMDJSON_TRY(v.get_string().get(s));
      out->assign(s);
      return simdjson::SUCCESS;
    }
    if (t == od::json_type::object) {
      od::object o;
      SIMDJSON_TRY(v.get_object().get(o));
      for (auto member : o) {
        od::field f;
        SIMDJSON_TRY(std::move(member).get(f));
        return ReadTypeName(f.value(), depth + 1, out);
      }
    }
    return simdjson::SUCCESS;
  }

  Result<ExtractedRecord> Extract(std::string_view raw) {
    ExtractedRecord result;
    rec = &result;
    frames.clear();
    matches.clear();
    table = &tables[0];

    if (raw.size() + simdjson::SIMDJSON_PADDING > cap) {
      cap = std::max(raw.size() + simdjson::SIMDJSON_PADDING, std::max<size_t>(cap * 2, 4096));
      buf = std::make_unique<char[]>(cap);
    }
    std::memcpy(buf.get(), raw.data(), raw.size());
    std::memset(buf.get() + raw.size(), 0, simdjson::SIMDJSON_PADDING);

    od::document doc;
    error_code e = parser.iterate(buf.get(), raw.size(), cap).get(doc);
    if (e) return NotJson(e);
    od::object root;
    e = doc.get_object().get(root);
    if (e == simdjson::INCORRECT_TYPE) {
      // Valid JSON of another type, or not JSON at all?
      size_t i = raw.find_first_not_of(" \t\r\n");
      if (i != std::string_view::npos && std::strchr("[\"-0123456789tfn", raw[i]) != nullptr) {
        return Status::Failed("record is not a JSON object");
      }
      return NotJson(simdjson::TAPE_ERROR);
    }
    if (e) return NotJson(e);

    od::value type_value;
    e = root.find_field_unordered("dataType").get(type_value);
    if (e == simdjson::NO_SUCH_FIELD) return Status::Failed("record has no dataType");
    if (e) return NotJson(e);
    std::string type_name;
    e = ReadTypeName(type_value, 0, &type_name);
    if (e) return NotJson(e);
    if (type_name.empty()) return Status::Failed("record has no dataType");
    std::optional<format::DataType> type = format::ParseDataType(type_name);
    if (!type) return Status::Failed("unknown data type");
    result.type = *type;
    table = &tables[static_cast<size_t>(*type)];
    keys.resize(table->key_paths);
    key_sets.resize(table->key_paths);
    for (std::vector<std::string>& k : keys) k.clear();
    for (std::unordered_set<std::string>& k : key_sets) k.clear();

    bool not_empty = false;
    e = root.reset().get(not_empty);
    if (e) return NotJson(e);
    for (auto member : root) {
      od::field f;
      e = std::move(member).get(f);
      if (e) return NotJson(e);
      std::string_view key;
      e = f.unescaped_key().get(key);
      if (e) return NotJson(e);
      if (key == "dataType") continue;  // read above; skipped unconsumed
      od::value v = f.value();
      if (key == "metaData") {
        e = WalkMeta(v, 1);
      } else {
        Push(key);
        e = WalkValue(v, 1);
        Pop();
      }
      if (e) return NotJson(e);
    }
    if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
      return NotJson(simdjson::TRAILING_CONTENT);
    }

    // Natural key.
    bool any_key = false;
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i > 0) result.natural_key.push_back('|');
      for (size_t j = 0; j < keys[i].size(); ++j) {
        if (j > 0) result.natural_key.push_back(',');
        AppendEscaped(keys[i][j], &result.natural_key);
        any_key = true;
      }
    }
    if (!any_key) result.natural_key.clear();

    // Deduplicate on (kind, value, field); a structured find sorts before a free-text one.
    std::vector<Identifier>& ids = result.identifiers;
    std::sort(ids.begin(), ids.end(), [](const Identifier& a, const Identifier& b) {
      return std::tie(a.kind, a.value, a.field, a.from_free_text) <
             std::tie(b.kind, b.value, b.field, b.from_free_text);
    });
    ids.erase(std::unique(ids.begin(), ids.end(),
                          [](const Identifier& a, const Identifier& b) {
                            return a.kind == b.kind && a.value == b.value && a.field == b.field;
                          }),
              ids.end());
    for (const Identifier& id : ids) {
      if (id.needs_review) ++result.needs_review;
    }
    std::vector<std::string>& pf = result.pgp_fields;
    std::sort(pf.begin(), pf.end());
    pf.erase(std::unique(pf.begin(), pf.end()), pf.end());
    rec = nullptr;
    return result;
  }
};

Extractor::Extractor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Extractor::~Extractor() = default;

Result<std::unique_ptr<Extractor>> Extractor::Create(const policy::IdentifierRules& rules) {
  auto impl = std::make_unique<Impl>();
  impl->opts.default_region = rules.default_region.empty() ? "GB" : rules.default_region;
  impl->min_phone_digits = internal::MinPhoneDigits(impl->opts.default_region);
  const std::string source = rules.source_name.empty() ? "identifier policy" : rules.source_name;
  for (const policy::TypeRules& tr : rules.types) {
    DV_RETURN_IF_ERROR(impl->AddTypeRules(tr, source));
  }
  return std::unique_ptr<Extractor>(new Extractor(std::move(impl)));
}

Result<ExtractedRecord> Extractor::Extract(std::string_view raw) { return impl_->Extract(raw); }

void Extractor::SetPgpDecryptor(PgpDecryptor decryptor) {
  impl_->pgp_decrypt = std::move(decryptor);
}

const NormalizeOptions& Extractor::normalize_options() const { return impl_->opts; }

}  // namespace davault::identity
