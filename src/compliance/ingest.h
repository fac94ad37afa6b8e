// Ingest of Data Access files: read, extract, check suppression, store. A file is either wholly
// in the archive or not at all (a savepoint per file); local files are committed in groups.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compliance/common.h"

namespace davault::compliance {

struct IngestCounters {
  int64_t files_ingested = 0, files_skipped = 0, records_ingested = 0, records_duplicate = 0,
          records_new_version = 0, records_suppressed = 0, schema_anomalies = 0, needs_review = 0,
          pgp_values = 0, pgp_decrypted = 0, records_unsearchable = 0;
  int64_t unsearchable_records = -1;  // in the whole archive after the run; -1: not known
  std::map<std::string, int64_t> records_per_type;
  Json files_failed = Json::array();
  Json errors = Json::array();
  void ToJson(Json* out) const;
};

class Ingester {
 public:
  static Result<std::unique_ptr<Ingester>> Create(Context& ctx, store::Archive* archive);
  // A local file: hashed first, so a file seen before is skipped without parsing it.
  Status IngestPath(const std::string& path, IngestCounters* counters);
  // Any byte source whose content hash and size are already known (downloads).
  // open() is called once; name is the Data Access file name.
  Status IngestSource(const std::string& name, const crypto::Hash& content_hash, uint64_t bytes,
                      SequentialFile* source, IngestCounters* counters);
  Result<bool> Known(const std::string& name, const crypto::Hash& content_hash);

  // Group commit: from here on files join a group that becomes durable as a whole once it
  // holds max_files files, max_bytes sealed bytes or is max_ms old (and at Flush). A crash
  // loses at most the uncommitted group, never part of a file. Files are counted (and logged
  // as ingested) only once their group has committed.
  void EnableGroupCommit(int64_t max_files, uint64_t max_bytes, int64_t max_ms);
  // Commits the open group, if any. On failure nothing of the group is kept and *failed gets
  // the files it held (as given to IngestPath, or the names given to IngestSource); when only
  // an audit anchor failed, the files are counted and *failed names those anchors.
  Status Flush(IngestCounters* counters, std::vector<std::string>* failed);
  // True when the open group has reached a limit (the caller then Flushes).
  bool GroupFull();

 private:
  struct Pending {
    std::string display, name;
    IngestCounters local;
    store::AuditRow row;
  };
  Ingester(Context& ctx, store::Archive* a) : ctx_(ctx), a_(a) {}
  Status IngestAs(const std::string& display, const std::string& name,
                  const crypto::Hash& content_hash, uint64_t bytes, SequentialFile* source,
                  IngestCounters* counters);
  // Counts a committed file and updates the audit anchor for it.
  Status Committed(const Pending& p, IngestCounters* counters);
  Context& ctx_;
  store::Archive* a_;
  int64_t group_max_files_ = 0;  // 0: one commit per file
  uint64_t group_max_bytes_ = 0;
  int64_t group_max_ms_ = 0;
  int64_t group_started_ms_ = 0;
  std::unique_ptr<store::IngestGroup> group_;
  std::vector<Pending> pending_;
  std::unique_ptr<identity::Extractor> extractor_;
  std::set<crypto::Hash> suppressed_seen_;
  bool pgp_indexed_ = false;  // the archive's "pgp_indexed" flag is known to be set
  std::string read_buf_;
};

}  // namespace davault::compliance
