// The archive repository: schema, keys, ingest batches, queries, destruction and recovery.
#include "store/archive.h"

#include "base/crash_point.h"
#include "store/sqlite.h"

#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace davault::store {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(k TEXT PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE files(id INTEGER PRIMARY KEY, name TEXT NOT NULL, content_hash BLOB NOT NULL,
  type INTEGER NOT NULL, scope_start INTEGER, scope_end INTEGER, bytes INTEGER NOT NULL,
  records INTEGER NOT NULL, ingested_at INTEGER NOT NULL);
CREATE INDEX files_by_name ON files(name);
CREATE INDEX files_by_content ON files(content_hash);
CREATE TABLE records(id INTEGER PRIMARY KEY, nkey BLOB NOT NULL UNIQUE, type INTEGER NOT NULL,
  start_ms INTEGER, end_ms INTEGER, scope_end INTEGER, wrapped_key BLOB NOT NULL,
  key_gen INTEGER NOT NULL, first_file INTEGER NOT NULL, ingested_at INTEGER NOT NULL);
CREATE TABLE payloads(record_id INTEGER NOT NULL, seq INTEGER NOT NULL, segment INTEGER NOT NULL,
  offset INTEGER NOT NULL, length INTEGER NOT NULL, content_hash BLOB NOT NULL,
  first_file INTEGER NOT NULL, PRIMARY KEY(record_id, seq)) WITHOUT ROWID;
CREATE INDEX payloads_by_segment ON payloads(segment);
CREATE TABLE record_files(record_id INTEGER NOT NULL, file_id INTEGER NOT NULL,
  PRIMARY KEY(record_id, file_id)) WITHOUT ROWID;
CREATE INDEX record_files_by_file ON record_files(file_id);
CREATE TABLE fields(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE idents(hash BLOB NOT NULL, record_id INTEGER NOT NULL, field INTEGER NOT NULL,
  kind INTEGER NOT NULL, PRIMARY KEY(hash, record_id, field)) WITHOUT ROWID;
CREATE INDEX idents_by_record ON idents(record_id);
CREATE INDEX records_by_time ON records(min(coalesce(start_ms, end_ms, scope_end),
  coalesce(end_ms, start_ms, scope_end), coalesce(scope_end, end_ms, start_ms)));
CREATE TABLE segments(id INTEGER PRIMARY KEY, state TEXT NOT NULL, bytes INTEGER NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE suppression(hash BLOB PRIMARY KEY, kind INTEGER NOT NULL, added_at INTEGER NOT NULL)
  WITHOUT ROWID;
CREATE TABLE journal(id INTEGER PRIMARY KEY, op TEXT NOT NULL, state TEXT NOT NULL,
  segments TEXT NOT NULL, created_at INTEGER NOT NULL, closed_at INTEGER);
CREATE TABLE audit(seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, event TEXT NOT NULL,
  body TEXT NOT NULL, prev BLOB NOT NULL, hash BLOB NOT NULL, sig BLOB NOT NULL);
CREATE TABLE requests(ref TEXT PRIMARY KEY, kind TEXT NOT NULL, received INTEGER NOT NULL,
  deadline INTEGER NOT NULL, status TEXT NOT NULL, subjects TEXT NOT NULL, found INTEGER NOT NULL,
  erased INTEGER NOT NULL, held INTEGER NOT NULL, completed INTEGER, extended_deadline INTEGER,
  extension_reason TEXT NOT NULL, plan_hash TEXT NOT NULL, details TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE holds(id INTEGER PRIMARY KEY, reason TEXT NOT NULL, until INTEGER,
  created INTEGER NOT NULL, released INTEGER, subjects TEXT NOT NULL);
CREATE TABLE cursors(type INTEGER PRIMARY KEY, until_ms INTEGER NOT NULL);
)sql";

// A record's earliest instant, whichever retention basis its type uses (NULL: undatable).
// Exactly the expression of the records_by_time index, so that SQLite uses the index.
constexpr const char* kEarliestTime =
    "min(coalesce(start_ms, end_ms, scope_end), coalesce(end_ms, start_ms, scope_end), "
    "coalesce(scope_end, end_ms, start_ms))";

constexpr char kIndexName[] = "index.db";
constexpr char kSegmentsDir[] = "segments";
constexpr char kTmpDir[] = "tmp";
constexpr char kLockName[] = "lock";

void PutLE(std::string* s, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLE(std::string_view s, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

std::string HashBlob(const crypto::Hash& h) { return std::string(crypto::AsView(h)); }
crypto::Hash BlobHash(const std::string& b) {
  crypto::Hash h{};
  std::memcpy(h.data(), b.data(), std::min(b.size(), h.size()));
  return h;
}

// KDF record stored in meta "kdf": type (1 byte: 1 key file, 2 passphrase) | salt | ops | mem.
std::string EncodeKdf(KeySource::Type type, const crypto::PassphraseParams& p) {
  std::string s;
  s.push_back(type == KeySource::Type::kKeyFile ? 1 : 2);
  s.append(reinterpret_cast<const char*>(p.salt.data()), p.salt.size());
  PutLE(&s, p.opslimit, 8);
  PutLE(&s, p.memlimit, 8);
  return s;
}

std::string SecretsAd(const std::string& archive_id) {
  return std::string("davault/secrets/v1") + archive_id;
}

std::string RealPath(const std::string& p) {
  char buf[PATH_MAX];
  if (::realpath(p.c_str(), buf) == nullptr) return p;
  return buf;
}

bool TestKdfAllowed() {
#ifdef DAVAULT_ALLOW_TEST_KDF
  const char* v = std::getenv("DAVAULT_TEST_KDF");
  return v != nullptr && std::string(v) == "1";
#else
  return false;
#endif
}

Status CheckKeyFileMode(Env* env, const std::string& path) {
  DV_ASSIGN_OR_RETURN(FileInfo info, env->Stat(path));
  if (info.mode & 077)
    return Status::Failed("key file " + path + " is readable by group or others; run: chmod 600 " +
                          path);
  return Status::Ok();
}

// Derives the user's key (the key that wraps the archive secrets).
Result<crypto::Key> UserKey(Env* env, const KeySource& key, std::string_view kdf) {
  if (kdf.size() != 33) return Status::Failed("archive key parameters are damaged");
  int type = kdf[0];
  if (key.type == KeySource::Type::kNone)
    return Status::Usage("no archive key: set DAVAULT_KEY_FILE or DAVAULT_PASSPHRASE");
  if (type == 1 && key.type != KeySource::Type::kKeyFile)
    return Status::Failed("this archive is unlocked with a key file: set DAVAULT_KEY_FILE");
  if (type == 2 && key.type != KeySource::Type::kPassphrase)
    return Status::Failed("this archive is unlocked with a passphrase: set DAVAULT_PASSPHRASE");
  if (type == 1) {
    if (!env->Exists(key.key_file))
      return Status::Failed("key file " + key.key_file + " does not exist");
    DV_RETURN_IF_ERROR(CheckKeyFileMode(env, key.key_file));
    DV_ASSIGN_OR_RETURN(std::string material, ReadFileToString(env, key.key_file));
    if (material.empty()) return Status::Failed("key file " + key.key_file + " is empty");
    crypto::Key user = crypto::KeyFromMaterial(material);
    std::fill(material.begin(), material.end(), '\0');  // key material never lingers
    return user;
  }
  crypto::PassphraseParams p;
  std::memcpy(p.salt.data(), kdf.data() + 1, 16);
  p.opslimit = GetLE(kdf, 17, 8);
  p.memlimit = GetLE(kdf, 25, 8);
  return crypto::KeyFromPassphrase(key.passphrase, p);
}

// A fresh user key, for init and for rekey: from a key file (created 0600 with random material
// if missing; never inside the archive directory) or a passphrase under new Argon2id parameters.
Status MakeUserKey(Env* env, const std::string& real_archive_dir, const KeySource& key,
                   crypto::Key* user_key, crypto::PassphraseParams* params,
                   bool* created_key_file) {
  *created_key_file = false;
  if (key.type == KeySource::Type::kPassphrase) {
    *params = crypto::NewPassphraseParams(TestKdfAllowed());
    DV_ASSIGN_OR_RETURN(*user_key, crypto::KeyFromPassphrase(key.passphrase, *params));
    return Status::Ok();
  }
  std::string parent = key.key_file.substr(0, key.key_file.rfind('/') + 1);
  std::string real_key = RealPath(parent.empty() ? "." : parent);
  if (real_key == real_archive_dir || real_key.rfind(real_archive_dir + "/", 0) == 0)
    return Status::Usage("the key file must not be inside the archive directory");
  if (!env->Exists(key.key_file)) {
    crypto::Key material = crypto::Key::Random();
    std::string text = crypto::ToHex(material.view()) + "\n";
    // Temp, fsync, rename: a crash never leaves an empty or partial key file behind.
    Status s = WriteFileAtomically(env, key.key_file, text, 0600);
    std::fill(text.begin(), text.end(), '\0');
    DV_RETURN_IF_ERROR(s);
    *created_key_file = true;
  }
  DV_RETURN_IF_ERROR(CheckKeyFileMode(env, key.key_file));
  DV_ASSIGN_OR_RETURN(std::string material, ReadFileToString(env, key.key_file));
  if (material.empty()) return Status::Failed("key file " + key.key_file + " is empty");
  *user_key = crypto::KeyFromMaterial(material);
  std::fill(material.begin(), material.end(), '\0');
  return Status::Ok();
}

// Secrets sealed while a rekey is in progress (meta rekey_new / rekey_old):
// master (32) | old wrap gen (u64) | old wrap key (32) | new wrap gen (u64) | new wrap key (32).
constexpr size_t kRekeySecretsSize = 112;
std::string RekeyAd(const std::string& archive_id) {
  return std::string("davault/rekey/v1") + archive_id;
}

}  // namespace

KeySource KeySource::FromEnvironment(const char* file_var, const char* pass_var) {
  KeySource k;
  const char* f = std::getenv(file_var);
  const char* p = std::getenv(pass_var);
  if (f != nullptr && *f != '\0') {
    k.type = Type::kKeyFile;
    k.key_file = f;
  } else if (p != nullptr && *p != '\0') {
    k.type = Type::kPassphrase;
    k.passphrase = p;
  }
  return k;
}

Archive::Archive(Env* env, std::string dir)
    : env_(env), dir_(std::move(dir)), db_(std::make_unique<Db>()) {}
Archive::~Archive() {
  if (in_txn_) Rollback();
  db_->Close();
}

Status Archive::Create(Env* env, const std::string& dir, const KeySource& key,
                       bool* created_key_file) {
  DV_RETURN_IF_ERROR(crypto::Init());
  *created_key_file = false;
  if (key.type == KeySource::Type::kNone)
    return Status::Usage("no archive key: set DAVAULT_KEY_FILE or DAVAULT_PASSPHRASE");
  if (env->Exists(JoinPath(dir, kIndexName)))
    return Status::Failed("an archive already exists at " + dir + "; init refuses to overwrite it");
  bool made_dir = false;
  if (env->Exists(dir)) {
    DV_ASSIGN_OR_RETURN(auto names, env->ListDir(dir));
    if (!names.empty())
      return Status::Failed("directory " + dir +
                            " is not empty; init needs a new or empty directory");
  } else {
    DV_RETURN_IF_ERROR(env->MakeDir(dir, 0700));
    made_dir = true;
  }
  std::string real_dir = RealPath(dir);

  crypto::Key user_key;
  crypto::PassphraseParams params;
  Status made_key = MakeUserKey(env, real_dir, key, &user_key, &params, created_key_file);
  if (!made_key.ok()) {
    // Leaves no trace: a refused init must not leave an empty archive directory behind.
    if (made_dir) (void)env->RemoveDir(dir);
    return made_key;
  }

  std::string archive_id(16, '\0');
  env->RandomBytes(archive_id.data(), archive_id.size());
  crypto::Key master = crypto::Key::Random();
  crypto::Key wrap = crypto::Key::Random();
  std::string secrets(master.view());
  PutLE(&secrets, 1, 8);
  secrets.append(wrap.view());
  std::string sealed = crypto::Seal(user_key, secrets, SecretsAd(archive_id));
  std::fill(secrets.begin(), secrets.end(), '\0');

  DV_RETURN_IF_ERROR(env->MakeDir(JoinPath(dir, kSegmentsDir), 0700));
  DV_RETURN_IF_ERROR(env->MakeDir(JoinPath(dir, kTmpDir), 0700));
  {
    DV_ASSIGN_OR_RETURN(auto lockf,
                        env->NewWritable(JoinPath(dir, kLockName), CreateMode::kExclusive, 0600));
    DV_RETURN_IF_ERROR(lockf->Close());
  }
  Db db;
  DV_RETURN_IF_ERROR(db.Open(JoinPath(dir, kIndexName), Db::Mode::kReadWriteCreate, 5000));
  DV_RETURN_IF_ERROR(db.Exec("PRAGMA journal_mode=WAL"));
  DV_RETURN_IF_ERROR(db.Exec("PRAGMA secure_delete=ON"));
  DV_RETURN_IF_ERROR(db.Exec("BEGIN"));
  DV_RETURN_IF_ERROR(db.Exec(kSchema));
  auto put = [&](const char* k, std::string_view v) -> Status {
    DV_ASSIGN_OR_RETURN(Stmt st, db.Prepare("INSERT INTO meta(k, v) VALUES (?, ?)"));
    return st.Bind(1, std::string_view(k)).BindBlob(2, v).Run();
  };
  DV_RETURN_IF_ERROR(put("format_version", std::to_string(kFormatVersion)));
  DV_RETURN_IF_ERROR(put("archive_id", archive_id));
  DV_RETURN_IF_ERROR(put("kdf", EncodeKdf(key.type, params)));
  DV_RETURN_IF_ERROR(put("secrets", sealed));
  DV_RETURN_IF_ERROR(put("created_at", std::to_string(env->NowMillis())));
  DV_RETURN_IF_ERROR(db.Exec("COMMIT"));
  DV_RETURN_IF_ERROR(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  db.Close();
  return env->SyncDir(dir);
}

Result<std::unique_ptr<Archive>> Archive::Open(Env* env, const std::string& dir,
                                               const KeySource& key, Access access,
                                               int lock_timeout_ms) {
  DV_RETURN_IF_ERROR(crypto::Init());
  std::string index = JoinPath(dir, kIndexName);
  if (!env->Exists(index))
    return Status::Failed("no archive at " + dir + " (create one with: davault init --archive " +
                          dir + ")");
  std::unique_ptr<Archive> a(new Archive(env, dir));
  DV_ASSIGN_OR_RETURN(a->lock_,
                      env->Lock(JoinPath(dir, kLockName),
                                access == Access::kWrite ? LockMode::kExclusive : LockMode::kShared,
                                lock_timeout_ms));
  DV_RETURN_IF_ERROR(a->db_->Open(index, Db::Mode::kReadWrite, lock_timeout_ms));
  DV_RETURN_IF_ERROR(a->db_->Exec("PRAGMA secure_delete=ON"));
  DV_RETURN_IF_ERROR(a->db_->Exec("PRAGMA synchronous=FULL"));
  // 16 MiB of page cache (default 2 MiB): an ingest group's transaction touches many index
  // pages, and spilling them to the WAL before the commit costs writes. Bounded, so the RSS
  // target (< 100 MB) holds.
  DV_RETURN_IF_ERROR(a->db_->Exec("PRAGMA cache_size=-16384"));
  auto version = a->GetMeta("format_version");
  if (!version.ok()) return version.status().Context("cannot read archive at " + dir);
  if (!version.value() || *version.value() != std::to_string(kFormatVersion))
    return Status::Failed("archive at " + dir + " has an unsupported format version");
  if (access == Access::kWrite) {
    // Archives made before the sweep index get it from their first writer (one pass, once).
    DV_RETURN_IF_ERROR(a->db_->Exec(std::string("CREATE INDEX IF NOT EXISTS records_by_time ON "
                                                "records(") +
                                    kEarliestTime + ")"));
  }
  DV_RETURN_IF_ERROR(a->LoadSecrets(key));
  a->segments_ = std::make_unique<SegmentStore>(env, JoinPath(dir, kSegmentsDir), a->archive_id_);
  if (access == Access::kWrite) {
    DV_RETURN_IF_ERROR(a->Recover());
  } else if (access == Access::kRead) {
    // "The next command that opens the archive" finishes interrupted work, readers included:
    // a reader that finds some takes the writer's lock for the recovery and keeps it.
    DV_ASSIGN_OR_RETURN(bool pending, a->NeedsRecovery());
    if (pending) {
      a->lock_.reset();
      DV_ASSIGN_OR_RETURN(
          a->lock_, env->Lock(JoinPath(dir, kLockName), LockMode::kExclusive, lock_timeout_ms));
      DV_RETURN_IF_ERROR(a->Recover());
    }
  }
  return a;
}

Status Archive::LoadSecrets(const KeySource& key) {
  DV_ASSIGN_OR_RETURN(auto id, GetMeta("archive_id"));
  DV_ASSIGN_OR_RETURN(auto kdf, GetMeta("kdf"));
  DV_ASSIGN_OR_RETURN(auto sealed, GetMeta("secrets"));
  if (!id || id->size() != 16 || !kdf || !sealed)
    return Status::Failed("archive at " + dir_ + " is missing its key records");
  archive_id_ = *id;
  // A rekey in progress (see StartRekey) leaves the secrets sealed under both user keys.
  DV_ASSIGN_OR_RETURN(auto rekey_kdf, GetMeta("rekey_kdf"));
  DV_ASSIGN_OR_RETURN(auto rekey_new, GetMeta("rekey_new"));
  DV_ASSIGN_OR_RETURN(auto rekey_old, GetMeta("rekey_old"));
  bool rekeying = rekey_kdf && rekey_new && rekey_old;

  Status refused;
  auto user = UserKey(env_, key, *kdf);
  if (user.ok()) {
    auto plain = crypto::Open(user.value(), *sealed, SecretsAd(archive_id_));
    if (plain.ok()) {
      std::string& s = plain.value();
      if (rekeying) {
        std::fill(s.begin(), s.end(), '\0');
        auto both = crypto::Open(user.value(), *rekey_old, RekeyAd(archive_id_));
        if (!both.ok())
          return Status::Failed("archive at " + dir_ +
                                ": the record of the rekey in progress is damaged");
        user_key_ = std::move(user.value());
        return UseSecrets(&both.value());
      }
      user_key_ = std::move(user.value());
      return UseSecrets(&s);
    }
    refused = Status::Failed(
        "wrong key: the given " +
        std::string(key.type == KeySource::Type::kKeyFile ? "key file" : "passphrase") +
        " does not unlock the archive at " + dir_);
  } else {
    refused = user.status();
  }
  if (rekeying) {
    // The new key of an unfinished rekey opens the archive too.
    auto new_user = UserKey(env_, key, *rekey_kdf);
    if (new_user.ok()) {
      auto both = crypto::Open(new_user.value(), *rekey_new, RekeyAd(archive_id_));
      if (both.ok()) {
        user_key_ = std::move(new_user.value());
        new_user_key_ = user_key_.Clone();
        new_kdf_ = *rekey_kdf;
        return UseSecrets(&both.value());
      }
    }
  }
  return refused;
}

// Takes the key material out of an opened secrets record (72 bytes, or 112 during a rekey)
// and wipes it.
Status Archive::UseSecrets(std::string* plain) {
  std::string& s = *plain;
  if (s.size() != 72 && s.size() != kRekeySecretsSize) {
    std::fill(s.begin(), s.end(), '\0');
    return Status::Failed("archive secrets are damaged");
  }
  std::string_view v(s);
  DV_ASSIGN_OR_RETURN(master_, crypto::Key::FromBytes(v.substr(0, 32)));
  if (s.size() == 72) {
    wrap_gen_ = static_cast<int64_t>(GetLE(s, 32, 8));
    DV_ASSIGN_OR_RETURN(wrap_key_, crypto::Key::FromBytes(v.substr(40, 32)));
  } else {
    old_wrap_gen_ = static_cast<int64_t>(GetLE(s, 32, 8));
    DV_ASSIGN_OR_RETURN(old_wrap_key_, crypto::Key::FromBytes(v.substr(40, 32)));
    wrap_gen_ = static_cast<int64_t>(GetLE(s, 72, 8));
    DV_ASSIGN_OR_RETURN(wrap_key_, crypto::Key::FromBytes(v.substr(80, 32)));
  }
  std::fill(s.begin(), s.end(), '\0');
  ident_key_ = crypto::DeriveSubkey(master_, 1, "dvident_");
  crypto::Key sign_seed = crypto::DeriveSubkey(master_, 2, "dvaudit_");
  signer_ = std::make_unique<crypto::Signer>(sign_seed);
  return Status::Ok();
}

crypto::Hash Archive::IdentifierHash(uint8_t kind, std::string_view normalized) const {
  std::string buf;
  buf.reserve(normalized.size() + 2);
  buf.push_back(static_cast<char>(kind));
  buf.push_back('\0');
  buf.append(normalized);
  return crypto::KeyedHash(ident_key_, buf);
}

crypto::Hash Archive::NaturalKeyHash(uint8_t type, std::string_view key) const {
  std::string buf = "record\0";
  buf.push_back(static_cast<char>(type));
  buf.push_back('\0');
  buf.append(key);
  return crypto::KeyedHash(ident_key_, buf);
}

crypto::HashStream Archive::NewContentHash() const { return crypto::HashStream(ident_key_); }

std::string Archive::PayloadAd(int64_t record_id, uint32_t seq, int64_t first_file) const {
  std::string ad = "davault/payload/v1";
  ad += archive_id_;
  PutLE(&ad, static_cast<uint64_t>(record_id), 8);
  PutLE(&ad, seq, 4);
  PutLE(&ad, static_cast<uint64_t>(first_file), 8);
  return ad;
}

std::string Archive::RecordKeyAd(int64_t record_id) const {
  std::string ad = "davault/recordkey/v1";
  ad += archive_id_;
  PutLE(&ad, static_cast<uint64_t>(record_id), 8);
  return ad;
}

Status Archive::RecordKeyInto(int64_t record_id, const std::string& wrapped, int64_t gen,
                              crypto::Key* out) {
  bool old_gen = old_wrap_gen_ != 0 && gen == old_wrap_gen_;
  if (gen != wrap_gen_ && !old_gen)
    return Status::VerifyFailed("record " + std::to_string(record_id) +
                                ": its key is wrapped by an unknown key generation");
  if (!crypto::UnwrapKeyInto(old_gen ? old_wrap_key_ : wrap_key_, wrapped, RecordKeyAd(record_id),
                             out)
           .ok())
    return Status::VerifyFailed("record " + std::to_string(record_id) +
                                ": its key fails authentication");
  return Status::Ok();
}

Result<crypto::Key> Archive::RecordKey(int64_t record_id, const std::string& wrapped, int64_t gen) {
  // During a rekey a record carries either generation (key_gen says which).
  bool old_gen = old_wrap_gen_ != 0 && gen == old_wrap_gen_;
  if (gen != wrap_gen_ && !old_gen)
    return Status::VerifyFailed("record " + std::to_string(record_id) +
                                ": its key is wrapped by an unknown key generation");
  auto k = crypto::UnwrapKey(old_gen ? old_wrap_key_ : wrap_key_, wrapped, RecordKeyAd(record_id));
  if (!k.ok())
    return Status::VerifyFailed("record " + std::to_string(record_id) +
                                ": its key fails authentication");
  return k;
}

Result<std::optional<std::string>> Archive::GetMeta(const std::string& key) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT v FROM meta WHERE k = ?"));
  st.Bind(1, key);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st.Blob(0));
}

Status Archive::SetMeta(const std::string& key, std::string_view value) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT OR REPLACE INTO meta(k, v) VALUES (?, ?)"));
  return st.Bind(1, key).BindBlob(2, value).Run();
}

Status Archive::Begin() {
  DV_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  in_txn_ = true;
  return Status::Ok();
}
Status Archive::Commit() {
  DV_RETURN_IF_ERROR(db_->Exec("COMMIT"));
  in_txn_ = false;
  return Status::Ok();
}
void Archive::Rollback() {
  if (in_txn_) (void)db_->Exec("ROLLBACK");
  in_txn_ = false;
  field_ids_.clear();  // ids of field rows inserted in the rolled-back transaction are gone
}

// Monotonic ids kept in meta so that no id (record, file, segment) is ever reused.
Result<int64_t> Archive::NextId(const char* counter) {
  std::string k = std::string("next_") + counter;
  DV_ASSIGN_OR_RETURN(auto v, GetMeta(k));
  int64_t id = v ? std::stoll(*v) : 1;
  DV_RETURN_IF_ERROR(SetMeta(k, std::to_string(id + 1)));
  return id;
}

Result<int64_t> Archive::FieldId(const std::string& name) {
  auto it = field_ids_.find(name);
  if (it != field_ids_.end()) return it->second;
  DV_ASSIGN_OR_RETURN(Stmt sel, db_->Prepare("SELECT id FROM fields WHERE name = ?"));
  sel.Bind(1, name);
  DV_ASSIGN_OR_RETURN(bool row, sel.Step());
  int64_t id;
  if (row) {
    id = sel.Int(0);
  } else {
    DV_ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO fields(name) VALUES (?)"));
    DV_RETURN_IF_ERROR(ins.Bind(1, name).Run());
    id = db_->LastInsertRowid();
  }
  field_ids_[name] = id;
  return id;
}

// ----------------------------------------------------------------------------------- ingest

Result<std::optional<int64_t>> Archive::FileByContent(const std::string& name,
                                                      const crypto::Hash& content_hash) {
  DV_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT id FROM files WHERE content_hash = ? AND name = ?"));
  st.BindBlob(1, HashBlob(content_hash)).Bind(2, name);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int(0));
}

Result<bool> Archive::HasFileNamed(const std::string& name) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1 FROM files WHERE name = ?"));
  st.Bind(1, name);
  return st.Step();
}

std::string Archive::TempDir() const { return JoinPath(dir_, kTmpDir); }

Result<bool> Archive::IsSuppressed(const crypto::Hash& h) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT 1 FROM suppression WHERE hash = ?"));
  st.BindBlob(1, HashBlob(h));
  return st.Step();
}

namespace {
// Every (hash, kind) row of a statement that selects those two columns.
Result<std::vector<std::pair<crypto::Hash, uint8_t>>> HashKindRows(Stmt& st) {
  std::vector<std::pair<crypto::Hash, uint8_t>> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back(BlobHash(st.Blob(0)), static_cast<uint8_t>(st.Int(1)));
  }
  return out;
}
}  // namespace

Result<std::vector<std::pair<crypto::Hash, uint8_t>>> Archive::SuppressionList() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT hash, kind FROM suppression"));
  return HashKindRows(st);
}

Result<std::unique_ptr<IngestGroup>> Archive::BeginIngestGroup() {
  DV_RETURN_IF_ERROR(Begin());
  return std::unique_ptr<IngestGroup>(new IngestGroup(this));
}

Result<std::unique_ptr<IngestBatch>> Archive::BeginIngest(const FileMeta& file) {
  DV_ASSIGN_OR_RETURN(std::unique_ptr<IngestGroup> g, BeginIngestGroup());
  IngestGroup* group = g.get();
  DV_ASSIGN_OR_RETURN(std::unique_ptr<IngestBatch> b, group->BeginFile(file));
  b->own_ = std::move(g);
  return b;
}

IngestGroup::~IngestGroup() {
  if (committed_) return;
  // Temp segments are removed; a segment already renamed stays until Recover() finds it
  // unreferenced (whether a failed COMMIT left the index without it is SQLite's to say).
  segments_.clear();
  a_->Rollback();
}

Result<std::unique_ptr<IngestBatch>> IngestGroup::BeginFile(const FileMeta& file) {
  if (!broken_.ok()) return broken_;
  if (file_open_) return Status::Failed("an ingest group takes one file at a time");
  constexpr int64_t kDayMs = 86400000;
  int64_t day = INT64_MIN;  // files without a scope share one bucket per type
  if (file.scope_start_ms) {
    day = *file.scope_start_ms / kDayMs;
    if (*file.scope_start_ms % kDayMs < 0) --day;
  }
  SegmentWriter*& w = open_[{file.type, day}];
  if (w == nullptr || w->bytes() >= kSegmentTargetBytes) {
    // Outside the file's savepoint: a segment id is never handed out twice.
    DV_ASSIGN_OR_RETURN(int64_t seg, a_->NextId("segment"));
    DV_ASSIGN_OR_RETURN(auto nw, a_->segments_->Create(static_cast<uint64_t>(seg)));
    w = nw.get();
    segments_.push_back(std::move(nw));
  }
  DV_RETURN_IF_ERROR(a_->db_->Exec("SAVEPOINT ingest_file"));
  std::unique_ptr<IngestBatch> b(new IngestBatch(a_, this, file));
  file_open_ = true;  // from here ~IngestBatch rolls the file back
  b->writer_ = w;
  b->start_size_ = w->bytes();
  b->start_entries_ = w->entries();
  DV_ASSIGN_OR_RETURN(b->file_id_, a_->NextId("file"));
  return b;
}

Status IngestGroup::Commit() {
  if (!broken_.ok()) return broken_;
  if (file_open_) return Status::Failed("a file of the ingest group is still open");
  if (files_ == 0) {
    // Every file failed (or none came): nothing to keep, and a refused file leaves the
    // archive byte for byte as it was, so roll back rather than commit a counter update.
    segments_.clear();
    a_->Rollback();
    committed_ = true;
    return Status::Ok();
  }
  bool renamed = false;
  {
    DV_ASSIGN_OR_RETURN(Stmt ins, a_->db_->Prepare("INSERT INTO segments(id, state, bytes, "
                                                   "created_at) VALUES (?, 'live', ?, ?)"));
    for (auto& w : segments_) {
      if (w->entries() == 0) {
        w.reset();  // nothing in it (copies only, or its files failed): the temp file goes
        continue;
      }
      DV_RETURN_IF_ERROR(w->Finish(/*sync_dir=*/false));
      renamed = true;
      ins.Reset();
      DV_RETURN_IF_ERROR(ins.Bind(1, static_cast<int64_t>(w->segment_id()))
                             .Bind(2, static_cast<int64_t>(w->bytes()))
                             .Bind(3, a_->env_->NowMillis())
                             .Run());
    }
  }
  if (renamed) {
    DV_RETURN_IF_ERROR(a_->segments_->SyncDir());
    CrashPoint("ingest.after_segment_rename");
  }
  CrashPoint("ingest.before_commit");
  Status s = a_->Commit();
  if (!s.ok()) return s;  // renamed segments are unreferenced; Recover() removes them
  committed_ = true;
  segments_.clear();
  open_.clear();
  return Status::Ok();
}

// Prepared once per batch: re-preparing eight statements for every record cost more than the
// inserts themselves.
struct IngestBatch::Statements {
  Stmt suppressed, find, same, insert_record, insert_payload, insert_ident, insert_record_file;
};

IngestBatch::IngestBatch(Archive* a, IngestGroup* g, FileMeta meta)
    : a_(a), g_(g), meta_(std::move(meta)) {}

IngestBatch::~IngestBatch() {
  st_.reset();
  if (!committed_ && g_->file_open_) {
    // Only this file goes: its rows (savepoint) and its entries at the end of its segment.
    g_->file_open_ = false;
    a_->field_ids_.clear();  // a field row inserted for this file is gone with it
    Status s = a_->db_->Exec("ROLLBACK TO ingest_file");
    if (s.ok()) s = a_->db_->Exec("RELEASE ingest_file");
    if (s.ok()) s = writer_->TruncateTo(start_size_, start_entries_);
    if (!s.ok() && g_->broken_.ok())
      g_->broken_ = s.Context("cannot drop a failed file from its ingest group");
  }
  // own_ (a standalone batch's group) rolls back as it is destroyed unless it committed.
}

Result<AddOutcome> IngestBatch::Add(const RecordInput& rec) {
  Archive& a = *a_;
  if (!st_) {
    auto st = std::make_unique<Statements>();
    DV_ASSIGN_OR_RETURN(st->suppressed, a.db_->Prepare("SELECT 1 FROM suppression WHERE hash = ?"));
    DV_ASSIGN_OR_RETURN(st->find, a.db_->Prepare("SELECT id, wrapped_key, key_gen FROM records "
                                                 "WHERE nkey = ?"));
    DV_ASSIGN_OR_RETURN(st->same, a.db_->Prepare("SELECT MAX(seq), SUM(content_hash = ?) FROM "
                                                 "payloads WHERE record_id = ?"));
    DV_ASSIGN_OR_RETURN(st->insert_record,
                        a.db_->Prepare("INSERT INTO records(id, nkey, type, start_ms, end_ms, "
                                       "scope_end, wrapped_key, key_gen, first_file, ingested_at) "
                                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    DV_ASSIGN_OR_RETURN(st->insert_payload,
                        a.db_->Prepare("INSERT INTO payloads(record_id, seq, segment, offset, "
                                       "length, content_hash, first_file) VALUES "
                                       "(?, ?, ?, ?, ?, ?, ?)"));
    DV_ASSIGN_OR_RETURN(st->insert_ident, a.db_->Prepare("INSERT OR IGNORE INTO idents(hash, "
                                                         "record_id, field, kind) VALUES "
                                                         "(?, ?, ?, ?)"));
    DV_ASSIGN_OR_RETURN(st->insert_record_file,
                        a.db_->Prepare("INSERT OR IGNORE INTO record_files(record_id, file_id) "
                                       "VALUES (?, ?)"));
    st_ = std::move(st);
  }
  Statements& st = *st_;
  // A suppressed subject or record never comes back.
  auto suppressed = [&](const crypto::Hash& h) -> Result<bool> {
    st.suppressed.Reset();
    st.suppressed.BindBlob(1, HashBlob(h));
    DV_ASSIGN_OR_RETURN(bool row, st.suppressed.Step());
    st.suppressed.Reset();
    return row;
  };
  DV_ASSIGN_OR_RETURN(bool sup, suppressed(rec.natural_key));
  if (sup) return AddOutcome::kSuppressed;
  for (const auto& id : rec.idents) {
    DV_ASSIGN_OR_RETURN(bool s, suppressed(id.hash));
    if (s) return AddOutcome::kSuppressed;
  }
  crypto::Hash content = crypto::KeyedHash(a.ident_key_, rec.raw);
  Stmt& find = st.find;
  find.Reset();
  find.BindBlob(1, HashBlob(rec.natural_key));
  DV_ASSIGN_OR_RETURN(bool exists, find.Step());
  int64_t record_id;
  AddOutcome outcome;
  // The record's key goes into the batch's scratch key (one guarded allocation per file).
  crypto::Key& key = key_;
  uint32_t seq = 0;
  if (exists) {
    record_id = find.Int(0);
    Stmt& same = st.same;
    same.Reset();
    same.BindBlob(1, HashBlob(content)).Bind(2, record_id);
    DV_ASSIGN_OR_RETURN(bool row, same.Step());
    if (row && !same.IsNull(1) && same.Int(1) > 0) {
      outcome = AddOutcome::kCopy;
    } else {
      outcome = AddOutcome::kNewVersion;
      seq = static_cast<uint32_t>(row && !same.IsNull(0) ? same.Int(0) + 1 : 0);
      DV_RETURN_IF_ERROR(a.RecordKeyInto(record_id, find.Blob(1), find.Int(2), &key));
    }
    same.Reset();
    find.Reset();
  } else {
    find.Reset();
    outcome = AddOutcome::kNew;
    // Record ids come from the meta counter, read once per batch and written back by Commit in
    // the same transaction (the ids are the ones NextId("record") would give).
    if (next_record_id_ == 0) {
      DV_ASSIGN_OR_RETURN(auto v, a.GetMeta("next_record"));
      next_record_id_ = v ? std::stoll(*v) : 1;
    }
    record_id = next_record_id_++;
    key.Randomize();
    std::string wrapped = crypto::WrapKey(a.wrap_key_, key, a.RecordKeyAd(record_id));
    Stmt& ins = st.insert_record;
    ins.Reset();
    ins.Bind(1, record_id).BindBlob(2, HashBlob(rec.natural_key)).Bind(3, rec.type);
    ins.Bind(4, rec.start_ms);
    ins.Bind(5, rec.end_ms);
    ins.Bind(6, meta_.scope_end_ms);
    ins.BindBlob(7, wrapped).Bind(8, a.wrap_gen_).Bind(9, file_id_).Bind(10, a.env_->NowMillis());
    DV_RETURN_IF_ERROR(ins.Run());
  }
  if (outcome != AddOutcome::kCopy) {
    sealed_.clear();
    crypto::SealAppend(key, rec.raw, a.PayloadAd(record_id, seq, file_id_), &sealed_);
    DV_ASSIGN_OR_RETURN(SegmentEntry e,
                        writer_->Append(static_cast<uint64_t>(record_id), seq, sealed_));
    Stmt& p = st.insert_payload;
    p.Reset();
    p.Bind(1, record_id).Bind(2, seq).Bind(3, static_cast<int64_t>(writer_->segment_id()));
    p.Bind(4, static_cast<int64_t>(e.offset)).Bind(5, e.length).BindBlob(6, HashBlob(content));
    DV_RETURN_IF_ERROR(p.Bind(7, file_id_).Run());
    Stmt& ii = st.insert_ident;
    for (const auto& id : rec.idents) {
      DV_ASSIGN_OR_RETURN(int64_t field, a.FieldId(id.field));
      ii.Reset();
      DV_RETURN_IF_ERROR(ii.BindBlob(1, HashBlob(id.hash))
                             .Bind(2, record_id)
                             .Bind(3, field)
                             .Bind(4, id.kind)
                             .Run());
    }
  }
  Stmt& rf = st.insert_record_file;
  rf.Reset();
  DV_RETURN_IF_ERROR(rf.Bind(1, record_id).Bind(2, file_id_).Run());
  return outcome;
}

Status IngestBatch::Commit(int64_t records_in_file) {
  Archive& a = *a_;
  if (!g_->file_open_ || committed_) return Status::Failed("the ingest batch is not open");
  DV_ASSIGN_OR_RETURN(Stmt f, a.db_->Prepare("INSERT INTO files(id, name, content_hash, type, "
                                             "scope_start, scope_end, bytes, records, ingested_at) "
                                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  f.Bind(1, file_id_).Bind(2, meta_.name).BindBlob(3, HashBlob(meta_.content_hash));
  f.Bind(4, meta_.type);
  f.Bind(5, meta_.scope_start_ms);
  f.Bind(6, meta_.scope_end_ms);
  f.Bind(7, static_cast<int64_t>(meta_.bytes))
      .Bind(8, records_in_file)
      .Bind(9, a.env_->NowMillis());
  DV_RETURN_IF_ERROR(f.Run());
  st_.reset();
  if (next_record_id_ != 0)
    DV_RETURN_IF_ERROR(a.SetMeta("next_record", std::to_string(next_record_id_)));
  DV_RETURN_IF_ERROR(a.db_->Exec("RELEASE ingest_file"));
  committed_ = true;
  g_->file_open_ = false;
  ++g_->files_;
  g_->sealed_bytes_ += writer_->bytes() - start_size_;
  if (own_) return own_->Commit();
  return Status::Ok();
}

// ---------------------------------------------------------------------------------- queries

Result<std::vector<Match>> Archive::Find(const std::vector<crypto::Hash>& subjects) {
  std::map<int64_t, Match> by_record;
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT i.record_id, i.kind, f.name FROM idents i "
                                            "JOIN fields f ON f.id = i.field WHERE i.hash = ?"));
  for (const auto& h : subjects) {
    st.Reset();
    st.BindBlob(1, HashBlob(h));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Match& m = by_record[st.Int(0)];
      m.record_id = st.Int(0);
      m.kinds.insert(static_cast<uint8_t>(st.Int(1)));
      m.fields.insert(st.Text(2));
    }
  }
  std::vector<Match> out;
  for (auto& [id, m] : by_record) {
    DV_ASSIGN_OR_RETURN(auto t, Times(id));
    if (!t) continue;
    m.type = t->type;
    m.start_ms = t->start_ms;
    m.end_ms = t->end_ms;
    DV_ASSIGN_OR_RETURN(m.files, FilesOf(id));
    out.push_back(std::move(m));
  }
  return out;
}

Result<std::vector<std::pair<crypto::Hash, uint8_t>>> Archive::IdentifiersOf(int64_t record_id) {
  DV_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT DISTINCT hash, kind FROM idents WHERE record_id = ?"));
  st.Bind(1, record_id);
  return HashKindRows(st);
}

Result<int64_t> Archive::RecordsWith(const crypto::Hash& h) {
  DV_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT COUNT(DISTINCT record_id) FROM idents WHERE hash = ?"));
  st.BindBlob(1, HashBlob(h));
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<int64_t> Archive::CoOccurring(const crypto::Hash& h, uint8_t kind, int64_t limit) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM (SELECT DISTINCT o.hash FROM "
                                            "idents i JOIN idents o ON o.record_id = i.record_id "
                                            "WHERE i.hash = ? AND o.kind = ? LIMIT ?)"));
  st.BindBlob(1, HashBlob(h)).Bind(2, kind).Bind(3, limit + 1);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<std::vector<std::string>> Archive::ReadPayloads(int64_t record_id) {
  DV_ASSIGN_OR_RETURN(Stmt r,
                      db_->Prepare("SELECT wrapped_key, key_gen FROM records WHERE id = ?"));
  r.Bind(1, record_id);
  DV_ASSIGN_OR_RETURN(bool found, r.Step());
  if (!found) return Status::Failed("record " + std::to_string(record_id) + " does not exist");
  DV_ASSIGN_OR_RETURN(crypto::Key key, RecordKey(record_id, r.Blob(0), r.Int(1)));
  DV_ASSIGN_OR_RETURN(Stmt p, db_->Prepare("SELECT seq, segment, offset, length, first_file FROM "
                                           "payloads WHERE record_id = ? ORDER BY seq"));
  p.Bind(1, record_id);
  std::vector<std::string> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, p.Step());
    if (!row) break;
    SegmentEntry e{static_cast<uint64_t>(record_id), static_cast<uint32_t>(p.Int(0)),
                   static_cast<uint64_t>(p.Int(2)), static_cast<uint32_t>(p.Int(3))};
    DV_ASSIGN_OR_RETURN(std::string sealed,
                        segments_->ReadSealed(static_cast<uint64_t>(p.Int(1)), e));
    auto plain = crypto::Open(key, sealed, PayloadAd(record_id, e.seq, p.Int(4)));
    if (!plain.ok())
      return Status::VerifyFailed("record " + std::to_string(record_id) +
                                  ": payload fails authentication");
    out.push_back(std::move(plain.value()));
  }
  if (out.empty())
    return Status::VerifyFailed("record " + std::to_string(record_id) + " has no payload");
  return out;
}

Result<std::vector<std::string>> Archive::FilesOf(int64_t record_id) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT f.name FROM record_files rf JOIN files f ON "
                                            "f.id = rf.file_id WHERE rf.record_id = ? ORDER BY "
                                            "f.id"));
  st.Bind(1, record_id);
  std::vector<std::string> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

static RecordTimes ReadTimes(const Stmt& st) {
  RecordTimes t;
  t.record_id = st.Int(0);
  t.type = static_cast<uint8_t>(st.Int(1));
  if (!st.IsNull(2)) t.start_ms = st.Int(2);
  if (!st.IsNull(3)) t.end_ms = st.Int(3);
  if (!st.IsNull(4)) t.scope_end_ms = st.Int(4);
  return t;
}

static Result<std::vector<RecordTimes>> ReadAllTimes(Stmt& st) {
  std::vector<RecordTimes> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadTimes(st));
  }
  return out;
}

Result<std::optional<RecordTimes>> Archive::Times(int64_t record_id) {
  DV_ASSIGN_OR_RETURN(
      Stmt st,
      db_->Prepare("SELECT id, type, start_ms, end_ms, scope_end FROM records WHERE id = ?"));
  st.Bind(1, record_id);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RecordTimes>();
  return std::optional<RecordTimes>(ReadTimes(st));
}

Status Archive::ReplaceIdents(int64_t record_id, const std::vector<IdentRow>& idents) {
  DV_ASSIGN_OR_RETURN(Stmt del, db_->Prepare("DELETE FROM idents WHERE record_id = ?"));
  DV_RETURN_IF_ERROR(del.Bind(1, record_id).Run());
  DV_ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT OR IGNORE INTO idents(hash, record_id, "
                                             "field, kind) VALUES (?, ?, ?, ?)"));
  for (const auto& id : idents) {
    DV_ASSIGN_OR_RETURN(int64_t field, FieldId(id.field));
    ins.Reset();
    DV_RETURN_IF_ERROR(ins.BindBlob(1, HashBlob(id.hash))
                           .Bind(2, record_id)
                           .Bind(3, field)
                           .Bind(4, id.kind)
                           .Run());
  }
  return Status::Ok();
}

Result<int64_t> Archive::RowsNaming(const std::vector<int64_t>& ids) {
  int64_t n = 0;
  for (const char* sql : {"SELECT COUNT(*) FROM records WHERE id = ?",
                          "SELECT COUNT(*) FROM payloads WHERE record_id = ?",
                          "SELECT COUNT(*) FROM idents WHERE record_id = ?",
                          "SELECT COUNT(*) FROM record_files WHERE record_id = ?"}) {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
    for (int64_t id : ids) {
      st.Reset();
      st.Bind(1, id);
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (row) n += st.Int(0);
    }
  }
  return n;
}

Result<std::vector<RecordTimes>> Archive::AllRecordTimes() {
  DV_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare("SELECT id, type, start_ms, end_ms, scope_end FROM records"));
  return ReadAllTimes(st);
}

Result<std::vector<RecordTimes>> Archive::RecordsDatedUpTo(int64_t max_ms) {
  DV_ASSIGN_OR_RETURN(
      Stmt st, db_->Prepare(std::string("SELECT id, type, start_ms, end_ms, "
                                        "scope_end FROM records WHERE ") +
                            kEarliestTime + " <= ? OR " + kEarliestTime + " IS NULL ORDER BY id"));
  st.Bind(1, max_ms);
  return ReadAllTimes(st);
}

Result<int64_t> Archive::RecordCount() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM records"));
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<Stats> Archive::GetStats() {
  Stats s;
  auto scalar = [&](const char* sql, int64_t* out) -> Status {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    *out = row && !st.IsNull(0) ? st.Int(0) : 0;
    return Status::Ok();
  };
  // Files still holding records; files emptied by erasure or sweep stay known (by name, so a
  // re-scan never ingests them again) but are not counted.
  DV_RETURN_IF_ERROR(
      scalar("SELECT COUNT(*) FROM files WHERE EXISTS (SELECT 1 FROM record_files "
             "rf WHERE rf.file_id = files.id)",
             &s.files));
  DV_RETURN_IF_ERROR(scalar("SELECT COUNT(*) FROM records", &s.records));
  DV_RETURN_IF_ERROR(scalar("SELECT SUM(length) FROM payloads", &s.payload_bytes));
  DV_RETURN_IF_ERROR(scalar("SELECT COUNT(*) FROM segments WHERE state = 'live'", &s.segments));
  DV_RETURN_IF_ERROR(scalar("SELECT COUNT(*) FROM suppression", &s.suppressed_identifiers));
  DV_ASSIGN_OR_RETURN(Stmt t, db_->Prepare("SELECT type, COUNT(*) FROM records GROUP BY type"));
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, t.Step());
    if (!row) break;
    s.records_per_type[static_cast<uint8_t>(t.Int(0))] = t.Int(1);
  }
  DV_ASSIGN_OR_RETURN(Stmt o, db_->Prepare("SELECT MIN(COALESCE(start_ms, end_ms, scope_end)) "
                                           "FROM records"));
  DV_ASSIGN_OR_RETURN(bool row, o.Step());
  if (row && !o.IsNull(0)) s.oldest_start_ms = o.Int(0);
  return s;
}

// ------------------------------------------------------------------------------ destruction

Result<DeleteResult> Archive::DeleteRecords(const std::vector<int64_t>& ids) {
  DeleteResult res;
  DV_ASSIGN_OR_RETURN(Stmt rec, db_->Prepare("SELECT type, nkey FROM records WHERE id = ?"));
  DV_ASSIGN_OR_RETURN(Stmt segs, db_->Prepare("SELECT DISTINCT segment FROM payloads WHERE "
                                              "record_id = ?"));
  DV_ASSIGN_OR_RETURN(Stmt files_of, db_->Prepare("SELECT file_id FROM record_files WHERE "
                                                  "record_id = ?"));
  std::set<int64_t> touched_files;
  DV_ASSIGN_OR_RETURN(Stmt d1, db_->Prepare("DELETE FROM idents WHERE record_id = ?"));
  DV_ASSIGN_OR_RETURN(Stmt d2, db_->Prepare("DELETE FROM record_files WHERE record_id = ?"));
  DV_ASSIGN_OR_RETURN(Stmt d3, db_->Prepare("DELETE FROM payloads WHERE record_id = ?"));
  DV_ASSIGN_OR_RETURN(Stmt d4, db_->Prepare("DELETE FROM records WHERE id = ?"));
  for (int64_t id : ids) {
    rec.Reset();
    rec.Bind(1, id);
    DV_ASSIGN_OR_RETURN(bool row, rec.Step());
    if (!row) continue;
    uint8_t type = static_cast<uint8_t>(rec.Int(0));
    res.natural_keys.push_back(BlobHash(rec.Blob(1)));
    segs.Reset();
    segs.Bind(1, id);
    while (true) {
      DV_ASSIGN_OR_RETURN(bool srow, segs.Step());
      if (!srow) break;
      res.segments.insert(static_cast<uint64_t>(segs.Int(0)));
    }
    files_of.Reset();
    files_of.Bind(1, id);
    while (true) {
      DV_ASSIGN_OR_RETURN(bool frow, files_of.Step());
      if (!frow) break;
      touched_files.insert(files_of.Int(0));
    }
    for (Stmt* d : {&d1, &d2, &d3, &d4}) {
      d->Reset();
      DV_RETURN_IF_ERROR(d->Bind(1, id).Run());
    }
    ++res.records;
    ++res.per_type[type];
  }
  // Files whose last record went with this deletion (proportional to what is deleted).
  DV_ASSIGN_OR_RETURN(Stmt left, db_->Prepare("SELECT 1 FROM record_files WHERE file_id = ? "
                                              "LIMIT 1"));
  for (int64_t f : touched_files) {
    left.Reset();
    left.Bind(1, f);
    DV_ASSIGN_OR_RETURN(bool any, left.Step());
    if (!any) ++res.files_emptied;
  }
  return res;
}

Status Archive::AddSuppression(const std::vector<crypto::Hash>& hashes, uint8_t kind,
                               int64_t now_ms) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT OR IGNORE INTO suppression(hash, kind, "
                                            "added_at) VALUES (?, ?, ?)"));
  for (const auto& h : hashes) {
    st.Reset();
    DV_RETURN_IF_ERROR(st.BindBlob(1, HashBlob(h)).Bind(2, kind).Bind(3, now_ms).Run());
  }
  return Status::Ok();
}

Result<int64_t> Archive::AddJournal(const std::string& op, const std::set<uint64_t>& segments,
                                    int64_t now_ms) {
  std::string list;
  for (uint64_t s : segments) list += (list.empty() ? "" : ",") + std::to_string(s);
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO journal(op, state, segments, created_at) "
                                            "VALUES (?, 'committed', ?, ?)"));
  DV_RETURN_IF_ERROR(st.Bind(1, op).Bind(2, list).Bind(3, now_ms).Run());
  return db_->LastInsertRowid();
}

// Compacts all the listed segments together, so that an erasure touching k segments costs a
// fixed number of commits and directory fsyncs (plus one fsync per rewritten segment), not a
// handful of each per segment. Every step is safe to repeat after a crash:
//   1. the replacements take the next segment ids (the counter moves in step 3's transaction;
//      a crash before it leaves files under those ids that nothing references: the redo
//      writes them again, renaming over them, and Recover() removes any left over);
//   2. each replacement (the live entries, still sealed) is written, fsynced and renamed; one
//      directory fsync;
//   3. one transaction inserts the replacements, points the payload rows at them, marks the
//      old segments (and those left without live entries) dead and moves the id counter;
//   4. the dead files are removed, one directory fsync, one transaction drops their rows and
//      closes the journal entry (if close_journal) — a crash before it leaves dead rows and an
//      open journal, which Recover() finishes.
Status Archive::CompactSegments(const std::vector<uint64_t>& ids, int64_t* rewritten,
                                int64_t close_journal) {
  struct Rewrite {
    uint64_t old_id = 0, new_id = 0;
    std::vector<SegmentEntry> keep, moved;
    uint64_t bytes = 0;
  };
  std::vector<Rewrite> rewrites;
  std::vector<uint64_t> emptied, dead, unknown;
  {
    DV_ASSIGN_OR_RETURN(Stmt state, db_->Prepare("SELECT state FROM segments WHERE id = ?"));
    DV_ASSIGN_OR_RETURN(Stmt live, db_->Prepare("SELECT record_id, seq, offset, length FROM "
                                                "payloads WHERE segment = ? ORDER BY offset"));
    std::set<uint64_t> seen;
    for (uint64_t id : ids) {
      if (!seen.insert(id).second) continue;
      state.Reset();
      state.Bind(1, static_cast<int64_t>(id));
      DV_ASSIGN_OR_RETURN(bool known, state.Step());
      std::string st = known ? state.Text(0) : "";
      state.Reset();
      if (!known) {
        unknown.push_back(id);
        continue;
      }
      if (st == "dead") {
        dead.push_back(id);
        continue;
      }
      Rewrite r;
      r.old_id = id;
      live.Reset();
      live.Bind(1, static_cast<int64_t>(id));
      uint64_t live_bytes = kSegmentHeaderSize;
      while (true) {
        DV_ASSIGN_OR_RETURN(bool row, live.Step());
        if (!row) break;
        r.keep.push_back({static_cast<uint64_t>(live.Int(0)), static_cast<uint32_t>(live.Int(1)),
                          static_cast<uint64_t>(live.Int(2)), static_cast<uint32_t>(live.Int(3))});
        live_bytes += r.keep.back().length;
      }
      live.Reset();
      if (r.keep.empty()) {
        emptied.push_back(id);
        continue;
      }
      // Entries are laid end to end: a file no longer than its live entries holds nothing dead.
      DV_ASSIGN_OR_RETURN(FileInfo info, env_->Stat(segments_->PathFor(id)));
      if (info.size <= live_bytes) continue;
      rewrites.push_back(std::move(r));
    }
  }
  // 1. Ids of the replacements.
  int64_t next_segment = 1;
  if (!rewrites.empty()) {
    DV_ASSIGN_OR_RETURN(auto v, GetMeta("next_segment"));
    if (v) next_segment = std::stoll(*v);
    for (auto& r : rewrites) r.new_id = static_cast<uint64_t>(next_segment++);
  }
  // 2. The replacements, durable before the index points at them.
  for (auto& r : rewrites) {
    DV_ASSIGN_OR_RETURN(auto w, segments_->Create(r.new_id));
    DV_ASSIGN_OR_RETURN(auto src, env_->OpenRandomAccess(segments_->PathFor(r.old_id)));
    for (const auto& e : r.keep) {
      DV_ASSIGN_OR_RETURN(std::string raw, segments_->ReadRawAt(*src, r.old_id, e));
      DV_ASSIGN_OR_RETURN(SegmentEntry ne, w->AppendRaw(raw));
      r.moved.push_back(ne);
    }
    DV_RETURN_IF_ERROR(w->Finish(/*sync_dir=*/false));
    r.bytes = w->bytes();
    CrashPoint("destroy.after_segment");
  }
  if (!rewrites.empty()) DV_RETURN_IF_ERROR(segments_->SyncDir());
  // 3. The index switches to the replacements and marks what is to go.
  std::vector<uint64_t> to_drop = dead;
  if (!rewrites.empty() || !emptied.empty()) {
    DV_RETURN_IF_ERROR(Begin());
    Status s = [&]() -> Status {
      DV_ASSIGN_OR_RETURN(Stmt ins, db_->Prepare("INSERT INTO segments(id, state, bytes, "
                                                 "created_at) VALUES (?, 'live', ?, ?)"));
      DV_ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE payloads SET segment = ?, offset = ? "
                                                "WHERE record_id = ? AND seq = ?"));
      DV_ASSIGN_OR_RETURN(Stmt mark, db_->Prepare("UPDATE segments SET state = 'dead' WHERE "
                                                  "id = ?"));
      for (const auto& r : rewrites) {
        ins.Reset();
        DV_RETURN_IF_ERROR(ins.Bind(1, static_cast<int64_t>(r.new_id))
                               .Bind(2, static_cast<int64_t>(r.bytes))
                               .Bind(3, env_->NowMillis())
                               .Run());
        for (const auto& ne : r.moved) {
          up.Reset();
          DV_RETURN_IF_ERROR(up.Bind(1, static_cast<int64_t>(r.new_id))
                                 .Bind(2, static_cast<int64_t>(ne.offset))
                                 .Bind(3, static_cast<int64_t>(ne.record_id))
                                 .Bind(4, ne.seq)
                                 .Run());
        }
        mark.Reset();
        DV_RETURN_IF_ERROR(mark.Bind(1, static_cast<int64_t>(r.old_id)).Run());
      }
      for (uint64_t id : emptied) {
        mark.Reset();
        DV_RETURN_IF_ERROR(mark.Bind(1, static_cast<int64_t>(id)).Run());
      }
      if (!rewrites.empty())
        DV_RETURN_IF_ERROR(SetMeta("next_segment", std::to_string(next_segment)));
      return Status::Ok();
    }();
    if (!s.ok()) {
      Rollback();
      return s;
    }
    DV_RETURN_IF_ERROR(Commit());
    for (const auto& r : rewrites) to_drop.push_back(r.old_id);
    to_drop.insert(to_drop.end(), emptied.begin(), emptied.end());
    *rewritten += static_cast<int64_t>(rewrites.size() + emptied.size());
  }
  // 4. The dead files go, then their rows (and the journal entry is closed).
  if (!to_drop.empty() || !unknown.empty()) {
    for (uint64_t id : to_drop) DV_RETURN_IF_ERROR(segments_->Remove(id, /*sync_dir=*/false));
    for (uint64_t id : unknown) DV_RETURN_IF_ERROR(segments_->Remove(id, /*sync_dir=*/false));
    DV_RETURN_IF_ERROR(segments_->SyncDir());
  }
  if (close_journal != 0) CrashPoint("destroy.before_journal_close");
  if (to_drop.empty() && close_journal == 0) return Status::Ok();
  DV_RETURN_IF_ERROR(Begin());
  Status s = [&]() -> Status {
    DV_ASSIGN_OR_RETURN(Stmt d, db_->Prepare("DELETE FROM segments WHERE id = ?"));
    for (uint64_t id : to_drop) {
      d.Reset();
      DV_RETURN_IF_ERROR(d.Bind(1, static_cast<int64_t>(id)).Run());
    }
    if (close_journal == 0) return Status::Ok();
    DV_ASSIGN_OR_RETURN(Stmt c, db_->Prepare("UPDATE journal SET state = 'closed', closed_at = ? "
                                             "WHERE id = ?"));
    return c.Bind(1, env_->NowMillis()).Bind(2, close_journal).Run();
  }();
  if (!s.ok()) {
    Rollback();
    return s;
  }
  return Commit();
}

Result<int64_t> Archive::CompactAndClose(int64_t journal_id, bool checkpoint) {
  DV_ASSIGN_OR_RETURN(Stmt j, db_->Prepare("SELECT segments FROM journal WHERE id = ?"));
  j.Bind(1, journal_id);
  DV_ASSIGN_OR_RETURN(bool row, j.Step());
  if (!row) return Status::Failed("journal entry " + std::to_string(journal_id) + " is missing");
  std::string list = j.Text(0);
  j.Reset();
  int64_t rewritten = 0;
  std::vector<uint64_t> segs;
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    segs.push_back(std::stoull(list.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  DV_RETURN_IF_ERROR(CompactSegments(segs, &rewritten, journal_id));
  if (checkpoint) DV_RETURN_IF_ERROR(Checkpoint());
  return rewritten;
}

Status Archive::Checkpoint() { return db_->Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

Result<bool> Archive::NeedsRecovery() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT (SELECT COUNT(*) FROM journal WHERE state != "
                                            "'closed') + (SELECT COUNT(*) FROM segments WHERE "
                                            "state != 'live')"));
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (row && st.Int(0) > 0) return true;
  DV_ASSIGN_OR_RETURN(auto listing, segments_->List());
  if (!listing.temp_files.empty()) return true;
  std::set<uint64_t> live;
  DV_ASSIGN_OR_RETURN(Stmt ls, db_->Prepare("SELECT id FROM segments"));
  while (true) {
    DV_ASSIGN_OR_RETURN(bool r, ls.Step());
    if (!r) break;
    live.insert(static_cast<uint64_t>(ls.Int(0)));
  }
  for (uint64_t seg : listing.segments)
    if (!live.count(seg)) return true;
  std::string tmp = JoinPath(dir_, kTmpDir);
  if (env_->Exists(tmp)) {
    DV_ASSIGN_OR_RETURN(auto names, env_->ListDir(tmp));
    if (!names.empty()) return true;
  }
  return false;
}

Status Archive::Recover() {
  // 1. Journals whose index part committed but whose storage part did not finish.
  std::vector<int64_t> open;
  {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id FROM journal WHERE state != 'closed'"));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      open.push_back(st.Int(0));
    }
  }
  for (int64_t id : open) {
    auto r = CompactAndClose(id);
    if (!r.ok())
      return r.status().Context("cannot finish interrupted work (journal " + std::to_string(id) +
                                ")");
    recovered_journals_.push_back(id);
  }
  // 2. Segments marked dead whose files may remain; 3. files nobody references; temp files.
  std::set<uint64_t> live;
  std::vector<uint64_t> dead;
  {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id, state FROM segments"));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (st.Text(1) == "live")
        live.insert(static_cast<uint64_t>(st.Int(0)));
      else
        dead.push_back(static_cast<uint64_t>(st.Int(0)));
    }
  }
  int64_t ignored = 0;
  DV_RETURN_IF_ERROR(CompactSegments(dead, &ignored, /*close_journal=*/0));
  DV_ASSIGN_OR_RETURN(auto listing, segments_->List());
  for (uint64_t s : listing.segments)
    if (!live.count(s)) DV_RETURN_IF_ERROR(segments_->Remove(s));
  for (const auto& t : listing.temp_files) DV_RETURN_IF_ERROR(segments_->RemoveTemp(t));
  std::string tmp = JoinPath(dir_, kTmpDir);
  if (env_->Exists(tmp)) {
    DV_ASSIGN_OR_RETURN(auto names, env_->ListDir(tmp));
    for (const auto& n : names) DV_RETURN_IF_ERROR(env_->Remove(JoinPath(tmp, n)));
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------------ rekey

Result<RekeyState> Archive::GetRekeyState() {
  RekeyState r;
  r.in_progress = old_wrap_gen_ != 0;
  r.from_generation = r.in_progress ? old_wrap_gen_ : wrap_gen_;
  r.to_generation = wrap_gen_;
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT COUNT(*) FROM records WHERE key_gen != ?"));
  st.Bind(1, wrap_gen_);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  r.records_left = row ? st.Int(0) : 0;
  return r;
}

Status Archive::StartRekey(const KeySource& new_key, bool* created_key_file) {
  *created_key_file = false;
  if (new_key.type == KeySource::Type::kNone)
    return Status::Usage(
        "rekey needs the new key: set DAVAULT_NEW_KEY_FILE or "
        "DAVAULT_NEW_PASSPHRASE");
  if (!in_txn_) return Status::Failed("rekey must start inside a transaction");
  if (old_wrap_gen_ != 0) {
    // Resuming: the new key must be the one the interrupted run started with.
    DV_ASSIGN_OR_RETURN(auto kdf, GetMeta("rekey_kdf"));
    DV_ASSIGN_OR_RETURN(auto sealed, GetMeta("rekey_new"));
    if (!kdf || !sealed) return Status::Failed("the record of the rekey in progress is missing");
    DV_ASSIGN_OR_RETURN(crypto::Key user, UserKey(env_, new_key, *kdf));
    auto both = crypto::Open(user, *sealed, RekeyAd(archive_id_));
    if (!both.ok())
      return Status::Failed(
          "a rekey to another new key is in progress; give the same "
          "DAVAULT_NEW_KEY_FILE or DAVAULT_NEW_PASSPHRASE as the run that "
          "started it");
    std::fill(both.value().begin(), both.value().end(), '\0');
    new_user_key_ = std::move(user);
    new_kdf_ = *kdf;
    return Status::Ok();
  }
  crypto::Key user;
  crypto::PassphraseParams params;
  DV_RETURN_IF_ERROR(MakeUserKey(env_, RealPath(dir_), new_key, &user, &params, created_key_file));
  std::string kdf = EncodeKdf(new_key.type, params);
  crypto::Key new_wrap = crypto::Key::Random();
  int64_t new_gen = wrap_gen_ + 1;
  std::string both(master_.view());
  PutLE(&both, static_cast<uint64_t>(wrap_gen_), 8);
  both.append(wrap_key_.view());
  PutLE(&both, static_cast<uint64_t>(new_gen), 8);
  both.append(new_wrap.view());
  std::string sealed_new = crypto::Seal(user, both, RekeyAd(archive_id_));
  std::string sealed_old = crypto::Seal(user_key_, both, RekeyAd(archive_id_));
  std::fill(both.begin(), both.end(), '\0');
  DV_RETURN_IF_ERROR(SetMeta("rekey_kdf", kdf));
  DV_RETURN_IF_ERROR(SetMeta("rekey_new", sealed_new));
  DV_RETURN_IF_ERROR(SetMeta("rekey_old", sealed_old));
  // From here on new records are wrapped by the new key; old ones are still readable.
  old_wrap_gen_ = wrap_gen_;
  old_wrap_key_ = std::move(wrap_key_);
  wrap_gen_ = new_gen;
  wrap_key_ = std::move(new_wrap);
  new_user_key_ = std::move(user);
  new_kdf_ = kdf;
  return Status::Ok();
}

Result<int64_t> Archive::RewrapBatch(int64_t limit) {
  if (old_wrap_gen_ == 0) return Status::Failed("no rekey is in progress");
  std::vector<std::pair<int64_t, std::string>> todo;
  DV_RETURN_IF_ERROR(Begin());
  {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id, wrapped_key FROM records WHERE "
                                              "key_gen = ? ORDER BY id LIMIT ?"));
    st.Bind(1, old_wrap_gen_).Bind(2, limit);
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      todo.emplace_back(st.Int(0), st.Blob(1));
    }
  }
  DV_ASSIGN_OR_RETURN(Stmt up, db_->Prepare("UPDATE records SET wrapped_key = ?, key_gen = ? "
                                            "WHERE id = ?"));
  for (const auto& [id, wrapped] : todo) {
    auto key = crypto::UnwrapKey(old_wrap_key_, wrapped, RecordKeyAd(id));
    if (!key.ok()) {
      Rollback();
      return Status::VerifyFailed("record " + std::to_string(id) +
                                  ": its key fails authentication; the rekey stopped before it "
                                  "(run davault verify)");
    }
    std::string rewrapped = crypto::WrapKey(wrap_key_, key.value(), RecordKeyAd(id));
    up.Reset();
    DV_RETURN_IF_ERROR(up.BindBlob(1, rewrapped).Bind(2, wrap_gen_).Bind(3, id).Run());
  }
  DV_RETURN_IF_ERROR(Commit());
  return static_cast<int64_t>(todo.size());
}

Status Archive::FinishRekeyInTransaction() {
  if (!in_txn_) return Status::Failed("rekey must finish inside a transaction");
  if (old_wrap_gen_ == 0) return Status::Failed("no rekey is in progress");
  // Never seal the secrets under a key nobody holds.
  if (new_kdf_.empty()) return Status::Failed("the new key of the rekey is not known");
  DV_ASSIGN_OR_RETURN(RekeyState st, GetRekeyState());
  if (st.records_left != 0)
    return Status::Failed(std::to_string(st.records_left) +
                          " records are still wrapped by the old key; the rekey cannot finish");
  std::string secrets(master_.view());
  PutLE(&secrets, static_cast<uint64_t>(wrap_gen_), 8);
  secrets.append(wrap_key_.view());
  std::string sealed = crypto::Seal(new_user_key_, secrets, SecretsAd(archive_id_));
  std::fill(secrets.begin(), secrets.end(), '\0');
  DV_RETURN_IF_ERROR(SetMeta("secrets", sealed));
  DV_RETURN_IF_ERROR(SetMeta("kdf", new_kdf_));
  DV_RETURN_IF_ERROR(
      db_->Exec("DELETE FROM meta WHERE k IN ('rekey_kdf', 'rekey_new', "
                "'rekey_old')"));
  // The old wrapping key is forgotten here too; what it wrapped no longer exists anywhere.
  old_wrap_key_ = crypto::Key();
  old_wrap_gen_ = 0;
  user_key_ = std::move(new_user_key_);
  new_user_key_ = crypto::Key();
  return Status::Ok();
}

// ------------------------------------------------------------------------------------ audit

Result<std::optional<AuditRow>> Archive::LastAudit() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT seq, time, event, body, prev, hash, sig FROM "
                                            "audit ORDER BY seq DESC LIMIT 1"));
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<AuditRow>();
  return std::optional<AuditRow>(
      AuditRow{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Blob(4), st.Blob(5), st.Blob(6)});
}

Result<std::vector<AuditRow>> Archive::RecentAudit(std::string_view event, int limit) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT seq, time, event, body, prev, hash, sig FROM "
                                           "audit WHERE event = ? ORDER BY seq DESC LIMIT ?"));
  st.Bind(1, std::string(event)).Bind(2, static_cast<int64_t>(limit));
  std::vector<AuditRow> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(AuditRow{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Blob(4), st.Blob(5),
                           st.Blob(6)});
  }
  return out;
}

Status Archive::InsertAudit(const AuditRow& r) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO audit(seq, time, event, body, prev, hash, "
                                            "sig) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  return st.Bind(1, r.seq)
      .Bind(2, r.time_ms)
      .Bind(3, r.event)
      .Bind(4, r.body)
      .BindBlob(5, r.prev_hash)
      .BindBlob(6, r.hash)
      .BindBlob(7, r.signature)
      .Run();
}

Result<std::vector<AuditRow>> Archive::AuditRows(int64_t from_seq) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT seq, time, event, body, prev, hash, sig FROM "
                                            "audit WHERE seq >= ? ORDER BY rowid"));
  st.Bind(1, from_seq);
  std::vector<AuditRow> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(
        AuditRow{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Blob(4), st.Blob(5), st.Blob(6)});
  }
  return out;
}

// ------------------------------------------------------------------------- requests, holds

static RequestRow ReadRequest(const Stmt& st) {
  RequestRow r;
  r.ref = st.Text(0);
  r.kind = st.Text(1);
  r.received_ms = st.Int(2);
  r.deadline_ms = st.Int(3);
  r.status = st.Text(4);
  r.subjects = st.Text(5);
  r.found = st.Int(6);
  r.erased = st.Int(7);
  r.held = st.Int(8);
  if (!st.IsNull(9)) r.completed_ms = st.Int(9);
  if (!st.IsNull(10)) r.extended_deadline_ms = st.Int(10);
  r.extension_reason = st.Text(11);
  r.plan_hash = st.Text(12);
  r.details = st.Text(13);
  return r;
}

constexpr const char* kRequestCols =
    "ref, kind, received, deadline, status, subjects, found, erased, held, completed, "
    "extended_deadline, extension_reason, plan_hash, details";

Result<std::optional<RequestRow>> Archive::GetRequest(const std::string& ref) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kRequestCols +
                                            " FROM requests WHERE ref = ?"));
  st.Bind(1, ref);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<RequestRow>();
  return std::optional<RequestRow>(ReadRequest(st));
}

Status Archive::PutRequest(const RequestRow& r) {
  DV_ASSIGN_OR_RETURN(Stmt st,
                      db_->Prepare(std::string("INSERT OR REPLACE INTO requests(") + kRequestCols +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st.Bind(1, r.ref).Bind(2, r.kind).Bind(3, r.received_ms).Bind(4, r.deadline_ms);
  st.Bind(5, r.status).Bind(6, r.subjects).Bind(7, r.found).Bind(8, r.erased).Bind(9, r.held);
  st.Bind(10, r.completed_ms);
  st.Bind(11, r.extended_deadline_ms);
  st.Bind(12, r.extension_reason).Bind(13, r.plan_hash).Bind(14, r.details);
  return st.Run();
}

Result<std::vector<RequestRow>> Archive::ListRequests() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(std::string("SELECT ") + kRequestCols +
                                            " FROM requests ORDER BY received, ref"));
  std::vector<RequestRow> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadRequest(st));
  }
  return out;
}

Result<int64_t> Archive::AddHold(const HoldRow& h) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT INTO holds(reason, until, created, released, "
                                            "subjects) VALUES (?, ?, ?, NULL, ?)"));
  st.Bind(1, h.reason);
  st.Bind(2, h.until_ms);
  DV_RETURN_IF_ERROR(st.Bind(3, h.created_ms).Bind(4, h.subjects).Run());
  return db_->LastInsertRowid();
}

Status Archive::PutHold(const HoldRow& h) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("UPDATE holds SET reason = ?, until = ?, released = ? "
                                            "WHERE id = ?"));
  st.Bind(1, h.reason);
  st.Bind(2, h.until_ms);
  st.Bind(3, h.released_ms);
  return st.Bind(4, h.id).Run();
}

Result<std::vector<HoldRow>> Archive::ListHolds() {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id, reason, until, created, released, "
                                            "subjects FROM holds ORDER BY id"));
  std::vector<HoldRow> out;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    HoldRow h;
    h.id = st.Int(0);
    h.reason = st.Text(1);
    if (!st.IsNull(2)) h.until_ms = st.Int(2);
    h.created_ms = st.Int(3);
    if (!st.IsNull(4)) h.released_ms = st.Int(4);
    h.subjects = st.Text(5);
    out.push_back(std::move(h));
  }
  return out;
}

Result<std::optional<int64_t>> Archive::Cursor(uint8_t type) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT until_ms FROM cursors WHERE type = ?"));
  st.Bind(1, type);
  DV_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(st.Int(0));
}

Status Archive::SetCursor(uint8_t type, int64_t until_ms) {
  DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("INSERT OR REPLACE INTO cursors(type, until_ms) "
                                            "VALUES (?, ?)"));
  return st.Bind(1, type).Bind(2, until_ms).Run();
}

// ----------------------------------------------------------------------------- verification

Status Archive::VerifyStorage(std::vector<std::string>* problems, int64_t* payloads_checked) {
  *payloads_checked = 0;
  std::set<uint64_t> live;
  {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id, state FROM segments"));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      if (st.Text(1) == "live")
        live.insert(static_cast<uint64_t>(st.Int(0)));
      else
        problems->push_back("segment " + std::to_string(st.Int(0)) + " is marked dead but listed");
    }
  }
  DV_ASSIGN_OR_RETURN(auto listing, segments_->List());
  std::set<uint64_t> on_disk(listing.segments.begin(), listing.segments.end());
  for (uint64_t s : on_disk)
    if (!live.count(s))
      problems->push_back("segment file " + std::to_string(s) + " is not in the index (orphan)");
  for (const auto& t : listing.temp_files) problems->push_back("leftover temp file segments/" + t);
  for (const auto& u : listing.unknown_files) problems->push_back("unknown file segments/" + u);
  std::string tmp = JoinPath(dir_, kTmpDir);
  if (env_->Exists(tmp)) {
    DV_ASSIGN_OR_RETURN(auto names, env_->ListDir(tmp));
    for (const auto& n : names) problems->push_back("leftover temp file tmp/" + n);
  }

  // Storage -> index: every entry on disk must be a payload row at the same place.
  DV_ASSIGN_OR_RETURN(Stmt at, db_->Prepare("SELECT offset, length FROM payloads WHERE "
                                            "record_id = ? AND seq = ? AND segment = ?"));
  DV_ASSIGN_OR_RETURN(Stmt known, db_->Prepare("SELECT 1 FROM records WHERE id = ?"));
  for (uint64_t s : live) {
    if (!on_disk.count(s)) {
      problems->push_back("segment " + std::to_string(s) + " is missing from storage");
      continue;
    }
    auto entries = segments_->Scan(s);
    if (!entries.ok()) {
      problems->push_back(entries.status().message());
      continue;
    }
    for (const auto& e : entries.value()) {
      at.Reset();
      at.Bind(1, static_cast<int64_t>(e.record_id)).Bind(2, e.seq).Bind(3, static_cast<int64_t>(s));
      DV_ASSIGN_OR_RETURN(bool row, at.Step());
      if (!row || static_cast<uint64_t>(at.Int(0)) != e.offset || at.Int(1) != e.length) {
        // Name a record only if it exists: a damaged entry header claims a random id.
        known.Reset();
        known.Bind(1, static_cast<int64_t>(e.record_id));
        DV_ASSIGN_OR_RETURN(bool exists, known.Step());
        if (exists)
          problems->push_back("record " + std::to_string(e.record_id) +
                              ": orphan payload in segment " + std::to_string(s));
        else
          problems->push_back("segment " + std::to_string(s) + " (" +
                              segments_->PathFor(s).substr(segments_->dir().size() + 1) +
                              "): entry at offset " + std::to_string(e.offset) +
                              " is not in the index and claims an unknown record (orphan, or a "
                              "damaged entry header)");
      }
    }
  }
  // Index -> storage: every record has payloads that decrypt and authenticate.
  std::vector<int64_t> ids;
  {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare("SELECT id FROM records ORDER BY id"));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ids.push_back(st.Int(0));
    }
  }
  for (int64_t id : ids) {
    auto p = ReadPayloads(id);
    if (!p.ok()) {
      // Every problem names the record it makes unreadable (I/O errors name only the file).
      std::string m = p.status().message();
      if (m.rfind("record " + std::to_string(id) + ":", 0) != 0 &&
          m.rfind("record " + std::to_string(id) + " ", 0) != 0)
        m = "record " + std::to_string(id) + ": " + m;
      problems->push_back(m);
      continue;
    }
    *payloads_checked += static_cast<int64_t>(p.value().size());
    for (auto& s : p.value()) std::fill(s.begin(), s.end(), '\0');
  }
  auto orphan_rows = [&](const char* sql, const char* what) -> Status {
    DV_ASSIGN_OR_RETURN(Stmt st, db_->Prepare(sql));
    while (true) {
      DV_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      problems->push_back("record " + std::to_string(st.Int(0)) + ": " + what);
    }
    return Status::Ok();
  };
  DV_RETURN_IF_ERROR(
      orphan_rows("SELECT DISTINCT record_id FROM idents WHERE record_id NOT IN "
                  "(SELECT id FROM records)",
                  "identifier rows without a record"));
  DV_RETURN_IF_ERROR(
      orphan_rows("SELECT DISTINCT record_id FROM payloads WHERE record_id NOT IN "
                  "(SELECT id FROM records)",
                  "payload rows without a record (no key)"));
  DV_RETURN_IF_ERROR(
      orphan_rows("SELECT DISTINCT record_id FROM payloads WHERE segment NOT IN "
                  "(SELECT id FROM segments WHERE state = 'live')",
                  "payload in a segment that is not live"));
  DV_RETURN_IF_ERROR(
      orphan_rows("SELECT id FROM journal WHERE state != 'closed'", "(journal entry) left open"));
  return Status::Ok();
}

Result<std::vector<std::string>> Archive::ListArchiveFiles() {
  std::vector<std::string> out;
  std::vector<std::string> stack{dir_};
  while (!stack.empty()) {
    std::string d = stack.back();
    stack.pop_back();
    DV_ASSIGN_OR_RETURN(auto names, env_->ListDir(d));
    for (const auto& n : names) {
      std::string p = JoinPath(d, n);
      DV_ASSIGN_OR_RETURN(FileInfo info, env_->Stat(p));
      if (info.is_dir)
        stack.push_back(p);
      else
        out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace davault::store
