// The archive on disk: keys, the SQLite index and the segment storage, behind one repository API.
//
// Layout of an archive directory (format version 1):
//   index.db (+ -wal, -shm)   SQLite index: records, wrapped record keys, identifier hashes,
//                             files, suppression list, requests, holds, journal, audit log
//   segments/*.seg            sealed payloads (see segments.h)
//   tmp/                      spool files of downloads in progress (sealed, ephemeral keys)
//   lock                      advisory lock: writers exclusive, readers shared
// Nothing in it holds personal data in the clear: identifiers are keyed BLAKE2b hashes, record
// bytes are XChaCha20-Poly1305 under a per-record key wrapped by the archive's wrapping key.
// Workflows (src/compliance) call this API; SQL and file paths stay inside src/store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "crypto/crypto.h"
#include "davault/env.h"
#include "store/segments.h"

namespace davault::store {

class Db;

constexpr int kFormatVersion = 1;

// Where the user's key comes from (shared/CLI.md: DAVAULT_KEY_FILE or DAVAULT_PASSPHRASE).
struct KeySource {
  enum class Type { kNone, kKeyFile, kPassphrase };
  Type type = Type::kNone;
  std::string key_file;
  std::string passphrase;
  static KeySource FromEnvironment(const char* file_var = "DAVAULT_KEY_FILE",
                                   const char* pass_var = "DAVAULT_PASSPHRASE");
};

// kInspect: a reader that never finishes interrupted work (tests use it to look at the state a
// crash left); kRead finishes such work first, taking the writer's lock for it.
enum class Access { kRead, kWrite, kInspect };

struct IdentRow {
  crypto::Hash hash;
  uint8_t kind = 0;
  std::string field;  // a field name such as "agentLoginname": never a value
};

struct RecordInput {
  uint8_t type = 0;
  crypto::Hash natural_key;  // keyed hash of (type, natural key) or of the content
  std::optional<int64_t> start_ms, end_ms;
  std::vector<IdentRow> idents;
  std::string_view raw;  // exact bytes from the file
};

enum class AddOutcome { kNew, kCopy, kNewVersion, kSuppressed };

struct FileMeta {
  std::string name;  // Data Access file names hold no personal data
  uint8_t type = 0;
  std::optional<int64_t> scope_start_ms, scope_end_ms;
  crypto::Hash content_hash;
  uint64_t bytes = 0;
};

struct Match {
  int64_t record_id = 0;
  uint8_t type = 0;
  std::optional<int64_t> start_ms, end_ms;
  std::set<uint8_t> kinds;
  std::set<std::string> fields;
  std::vector<std::string> files;
};

struct RecordTimes {
  int64_t record_id = 0;
  uint8_t type = 0;
  std::optional<int64_t> start_ms, end_ms, scope_end_ms;
};

struct DeleteResult {
  int64_t records = 0;
  std::map<uint8_t, int64_t> per_type;
  std::set<uint64_t> segments;  // segments that held a deleted payload
  std::vector<crypto::Hash> natural_keys;
  int64_t files_emptied = 0;  // Data Access files none of whose records remain
};

struct AuditRow {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string event;
  std::string body;  // JSON, pseudonyms only
  std::string prev_hash, hash, signature;
};

struct RequestRow {
  std::string ref;
  std::string kind;  // "erasure" or "access"
  int64_t received_ms = 0;
  int64_t deadline_ms = 0;
  std::string status;
  std::string subjects;  // JSON array of identifier hashes
  int64_t found = 0, erased = 0, held = 0;
  std::optional<int64_t> completed_ms;
  std::optional<int64_t> extended_deadline_ms;
  std::string extension_reason;
  std::string plan_hash;
  std::string details;  // JSON
};

struct HoldRow {
  int64_t id = 0;
  std::string reason;
  std::optional<int64_t> until_ms;
  int64_t created_ms = 0;
  std::optional<int64_t> released_ms;
  std::string subjects;  // JSON array of identifier hashes (hex)
};

// A rekey (shared/CLI.md "Keys and rekey"): while in progress, records carry either wrapping-key
// generation and either user key opens the archive.
struct RekeyState {
  bool in_progress = false;
  int64_t from_generation = 0;  // the wrapping key being replaced (= to_generation when idle)
  int64_t to_generation = 0;    // the current wrapping key
  int64_t records_left = 0;     // records not yet wrapped by to_generation
};

struct Stats {
  int64_t files = 0, records = 0, payload_bytes = 0, segments = 0, suppressed_identifiers = 0;
  std::map<uint8_t, int64_t> records_per_type;
  std::optional<int64_t> oldest_start_ms;
};

class IngestBatch;
class IngestGroup;

class Archive {
 public:
  ~Archive();

  // Creates a new archive in dir (which must not hold one). With a key file that does not
  // exist yet, creates it (mode 0600) and sets *created_key_file.
  static Status Create(Env* env, const std::string& dir, const KeySource& key,
                       bool* created_key_file);
  // Opens, takes the lock, checks the key; a writer also finishes interrupted work (recovery).
  static Result<std::unique_ptr<Archive>> Open(Env* env, const std::string& dir,
                                               const KeySource& key, Access access,
                                               int lock_timeout_ms);

  Env* env() { return env_; }
  const std::string& dir() const { return dir_; }
  std::string archive_id_hex() const { return crypto::ToHex(archive_id_); }

  // Pseudonyms: keyed hashes under the archive's identifier key.
  crypto::Hash IdentifierHash(uint8_t kind, std::string_view normalized) const;
  crypto::Hash NaturalKeyHash(uint8_t type, std::string_view key) const;
  crypto::HashStream NewContentHash() const;
  // Signing key for the audit log and certificates.
  const crypto::Signer& signer() const { return *signer_; }

  // Meta values (non-secret settings and state).
  Result<std::optional<std::string>> GetMeta(const std::string& key);
  Status SetMeta(const std::string& key, std::string_view value);

  // --- write transactions: one at a time, BEGIN IMMEDIATE ---
  Status Begin();
  Status Commit();
  void Rollback();

  // --- ingest ---
  // The same file (same name, same bytes) ingested before. The same bytes under another name
  // (a re-issued part file) are ingested again, as copies, so that every file is known.
  Result<std::optional<int64_t>> FileByContent(const std::string& name,
                                               const crypto::Hash& content_hash);
  Result<bool> HasFileNamed(const std::string& name);
  // A directory inside the archive for spool files of downloads in progress (always sealed).
  std::string TempDir() const;
  // Starts a transaction for one file; the batch commits or rolls back as a whole.
  Result<std::unique_ptr<IngestBatch>> BeginIngest(const FileMeta& file);
  // Starts a transaction for several files (group commit): each file is added whole or not at
  // all (a savepoint), and the group's Commit makes all of them durable with one commit.
  Result<std::unique_ptr<IngestGroup>> BeginIngestGroup();
  Result<bool> IsSuppressed(const crypto::Hash& h);
  // Every keyed fingerprint on the suppression list with its identifier kind.
  Result<std::vector<std::pair<crypto::Hash, uint8_t>>> SuppressionList();

  // --- queries ---
  Result<std::vector<Match>> Find(const std::vector<crypto::Hash>& subjects);
  // Every identifier hash of a record, with its kind (for following links).
  Result<std::vector<std::pair<crypto::Hash, uint8_t>>> IdentifiersOf(int64_t record_id);
  // Number of distinct records holding a hash.
  Result<int64_t> RecordsWith(const crypto::Hash& h);
  // Distinct hashes of a kind that co-occur with h in some record (bounded by limit+1).
  Result<int64_t> CoOccurring(const crypto::Hash& h, uint8_t kind, int64_t limit);
  // Decrypted payloads of a record (usually one; more when a re-issued file changed it).
  Result<std::vector<std::string>> ReadPayloads(int64_t record_id);
  Result<std::vector<std::string>> FilesOf(int64_t record_id);
  Result<std::optional<RecordTimes>> Times(int64_t record_id);
  // Replaces a record's identifier rows (re-indexing after a change of normalization rules).
  Status ReplaceIdents(int64_t record_id, const std::vector<IdentRow>& idents);
  // Index rows (records, payloads, identifiers, file links) that still name any of the ids.
  Result<int64_t> RowsNaming(const std::vector<int64_t>& record_ids);
  Result<std::vector<RecordTimes>> AllRecordTimes();
  // Records whose earliest instant (start, end or file scope end) is at or before max_ms, and
  // the undatable ones: what a sweep with that latest cutoff must look at (records_by_time
  // index, so a day's sweep reads about a day of records).
  Result<std::vector<RecordTimes>> RecordsDatedUpTo(int64_t max_ms);
  Result<int64_t> RecordCount();
  Result<Stats> GetStats();

  // --- destruction (inside Begin/Commit) ---
  Result<DeleteResult> DeleteRecords(const std::vector<int64_t>& ids);
  Status AddSuppression(const std::vector<crypto::Hash>& hashes, uint8_t kind, int64_t now_ms);
  Result<int64_t> AddJournal(const std::string& op, const std::set<uint64_t>& segments,
                             int64_t now_ms);
  // After the commit: rewrites every listed segment without its dead entries (temp, fsync,
  // rename, fsync dir), closes the journal, checkpoints the WAL with TRUNCATE (unless the
  // caller checkpoints itself after a last commit of its own).
  // Returns the number of segment files rewritten or removed.
  Result<int64_t> CompactAndClose(int64_t journal_id, bool checkpoint = true);
  // True when a crash left work to finish (open journal, dead or unreferenced segments, temp
  // files); Open then recovers even for a reader.
  Result<bool> NeedsRecovery();
  // Finishes any journal left open by a crash and removes leftover files. Called by Open.
  Status Recover();
  // Journals that Recover finished in this process (the caller records their completion).
  const std::vector<int64_t>& recovered_journals() const { return recovered_journals_; }
  // PRAGMA wal_checkpoint(TRUNCATE).
  Status Checkpoint();

  // --- audit rows (the audit module chains and signs them) ---
  Result<std::optional<AuditRow>> LastAudit();
  // The newest `limit` entries of one event, newest first.
  Result<std::vector<AuditRow>> RecentAudit(std::string_view event, int limit);
  Status InsertAudit(const AuditRow& row);
  Result<std::vector<AuditRow>> AuditRows(int64_t from_seq = 0);

  // --- requests and holds ---
  Result<std::optional<RequestRow>> GetRequest(const std::string& ref);
  Status PutRequest(const RequestRow& row);
  Result<std::vector<RequestRow>> ListRequests();
  Result<int64_t> AddHold(const HoldRow& row);
  Status PutHold(const HoldRow& row);
  Result<std::vector<HoldRow>> ListHolds();

  // --- pull cursors, per data type ---
  Result<std::optional<int64_t>> Cursor(uint8_t type);
  Status SetCursor(uint8_t type, int64_t until_ms);

  // --- rekey: new wrapping key (generation + 1) and new user key; master secret unchanged ---
  Result<RekeyState> GetRekeyState();
  // Inside the caller's transaction: records the rekey in progress (the new user key's KDF
  // record, and the old and new wrapping keys with the master secret sealed under each user
  // key), so that until FinishRekeyInTransaction commits either key opens the archive. A key
  // file that does not exist is created (0600; never inside the archive). When a rekey is
  // already in progress, only checks that new_key is the key it started with.
  Status StartRekey(const KeySource& new_key, bool* created_key_file);
  // One transaction: re-wraps up to `limit` records still under the old wrapping key.
  // Returns how many it re-wrapped (0: none left).
  Result<int64_t> RewrapBatch(int64_t limit);
  // Inside the caller's transaction: seals the secrets under the new user key only and drops
  // the old wrapping key and the in-progress record. Fails while a record is on the old key.
  // If the commit then fails, discard this Archive (its keys already moved on).
  Status FinishRekeyInTransaction();

  // --- verification ---
  struct Problem {
    std::string what;
  };
  // Decrypts every payload, checks index <-> storage both ways. Fills problems.
  Status VerifyStorage(std::vector<std::string>* problems, int64_t* payloads_checked);
  Result<std::vector<std::string>> ListArchiveFiles();  // every file the archive owns

 private:
  friend class IngestBatch;
  friend class IngestGroup;
  Archive(Env* env, std::string dir);
  Status LoadSecrets(const KeySource& key);
  Status UseSecrets(std::string* plain);
  std::string PayloadAd(int64_t record_id, uint32_t seq, int64_t first_file) const;
  std::string RecordKeyAd(int64_t record_id) const;
  Result<crypto::Key> RecordKey(int64_t record_id, const std::string& wrapped, int64_t gen);
  Status RecordKeyInto(int64_t record_id, const std::string& wrapped, int64_t gen,
                       crypto::Key* out);
  Result<int64_t> NextId(const char* table);
  Result<int64_t> FieldId(const std::string& name);
  Status CompactSegments(const std::vector<uint64_t>& segment_ids, int64_t* rewritten,
                         int64_t close_journal);

  Env* env_;
  std::string dir_;
  std::unique_ptr<FileLock> lock_;
  std::unique_ptr<Db> db_;
  std::unique_ptr<SegmentStore> segments_;
  std::string archive_id_;  // 16 raw bytes
  crypto::Key master_;
  crypto::Key ident_key_;
  crypto::Key wrap_key_;
  int64_t wrap_gen_ = 0;
  crypto::Key user_key_;  // the key that opened the secrets
  // During a rekey: the wrapping key being replaced (old_wrap_gen_ 0 when none) and, once
  // known, the new user key with its KDF record.
  crypto::Key old_wrap_key_;
  int64_t old_wrap_gen_ = 0;
  crypto::Key new_user_key_;
  std::string new_kdf_;
  std::unique_ptr<crypto::Signer> signer_;
  std::map<std::string, int64_t> field_ids_;
  bool in_txn_ = false;
  std::vector<int64_t> recovered_journals_;
};

// Several input files in one transaction. Files share segments: one open segment per data type
// and UTC day of the file's scope (so a day's sweep still empties whole segments), started anew
// past kSegmentTargetBytes at a file boundary (1 MiB: an erasure rewrites at most about that
// much per segment that held the person, and ingest needs about one fsync per MiB, not three
// per file). Commit fsyncs each segment, renames them, fsyncs the directory once and commits
// the index once.
class IngestGroup {
 public:
  static constexpr uint64_t kSegmentTargetBytes = 1 << 20;
  ~IngestGroup();  // rolls back (and removes its temp segments) unless committed
  // The next file of the group (a savepoint). Only one file is open at a time.
  Result<std::unique_ptr<IngestBatch>> BeginFile(const FileMeta& file);
  // Makes every file whose batch committed durable. On failure nothing of the group is kept.
  Status Commit();
  int64_t files() const { return files_; }
  uint64_t sealed_bytes() const { return sealed_bytes_; }

 private:
  friend class Archive;
  friend class IngestBatch;
  explicit IngestGroup(Archive* a) : a_(a) {}
  Archive* a_;
  // Segments in the order they were started; open_ maps a (type, day) bucket to the one that
  // still takes files.
  std::vector<std::unique_ptr<SegmentWriter>> segments_;
  std::map<std::pair<uint8_t, int64_t>, SegmentWriter*> open_;
  int64_t files_ = 0;
  uint64_t sealed_bytes_ = 0;
  bool file_open_ = false;
  bool committed_ = false;
  Status broken_;  // a file's entries could not be dropped from its segment: the group fails
};

// One file's records, added with its segment entries. Either a group's file (a savepoint in the
// group's transaction) or, from BeginIngest, a file that is its own group.
class IngestBatch {
 public:
  ~IngestBatch();  // rolls back unless committed
  Result<AddOutcome> Add(const RecordInput& rec);
  // Records the file and keeps its rows. Standalone batches then write the segment durably
  // and commit; a group's file becomes durable with the group's Commit. Also keeps the audit
  // row the caller inserted with Archive::InsertAudit before calling this.
  Status Commit(int64_t records_in_file);
  int64_t file_id() const { return file_id_; }

 private:
  friend class Archive;
  friend class IngestGroup;
  IngestBatch(Archive* a, IngestGroup* g, FileMeta meta);  // in archive.cc (Statements)
  Archive* a_;
  IngestGroup* g_;
  std::unique_ptr<IngestGroup> own_;  // set for a standalone batch
  FileMeta meta_;
  int64_t file_id_ = 0;
  SegmentWriter* writer_ = nullptr;
  uint64_t start_size_ = 0, start_entries_ = 0;  // the writer before this file
  int64_t next_record_id_ = 0;                   // 0 until the batch takes its first new record id
  bool committed_ = false;
  std::string sealed_;
  crypto::Key key_;  // scratch record key, refilled per record (see crypto::Key::Randomize)
  // The batch's statements, prepared on the first Add, not once per record.
  struct Statements;
  std::unique_ptr<Statements> st_;
};

}  // namespace davault::store
