// Ingest of one Data Access file: read, extract, check suppression, store, all in one
// transaction per file, so a file is either wholly in the archive or not at all.
#pragma once

#include <memory>
#include <set>
#include <string>

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

 private:
  Ingester(Context& ctx, store::Archive* a) : ctx_(ctx), a_(a) {}
  Context& ctx_;
  store::Archive* a_;
  std::unique_ptr<identity::Extractor> extractor_;
  std::set<crypto::Hash> suppressed_seen_;
  bool pgp_indexed_ = false;  // the archive's "pgp_indexed" flag is known to be set
};

}  // namespace davault::compliance
