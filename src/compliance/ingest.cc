// Ingest: stream records out of a file, extract identifiers, store each record once.
#include "compliance/ingest.h"

#include <cstdlib>

#include "audit/log.h"
#include "base/time.h"
#include "format/data_type.h"
#include "pgp/pgp.h"

namespace davault::compliance {

// Group commit limits of `davault ingest` (see Ingester::EnableGroupCommit).
constexpr int64_t kIngestGroupFiles = 256;
constexpr uint64_t kIngestGroupBytes = 64 << 20;
constexpr int64_t kIngestGroupMs = 1000;

void IngestCounters::ToJson(Json* out) const {
  Json& o = *out;
  o["files_ingested"] = files_ingested;
  o["files_skipped"] = files_skipped;
  o["records_ingested"] = records_ingested;
  o["records_duplicate"] = records_duplicate;
  o["records_new_version"] = records_new_version;
  o["records_suppressed"] = records_suppressed;
  o["schema_anomalies"] = schema_anomalies;
  o["needs_review"] = needs_review;
  o["pgp_values_unindexed"] = pgp_values;
  o["pgp_values_decrypted"] = pgp_decrypted;
  o["records_unsearchable"] = records_unsearchable;
  if (unsearchable_records >= 0) o["unsearchable_records"] = unsearchable_records;
  o["records_per_type"] = records_per_type;
  o["files_failed"] = files_failed;
  o["errors"] = errors;
}

Result<std::unique_ptr<Ingester>> Ingester::Create(Context& ctx, store::Archive* archive) {
  DV_ASSIGN_OR_RETURN(auto rules, LoadRules(ctx));
  std::unique_ptr<Ingester> in(new Ingester(ctx, archive));
  DV_ASSIGN_OR_RETURN(in->extractor_, identity::Extractor::Create(rules));
  DV_ASSIGN_OR_RETURN(pgp::Keyring * keyring, PgpKeyring(ctx));
  UsePgpKeyring(in->extractor_.get(), keyring);
  return in;
}

Result<bool> Ingester::Known(const std::string& name, const crypto::Hash& content_hash) {
  DV_ASSIGN_OR_RETURN(auto id, a_->FileByContent(name, content_hash));
  return id.has_value();
}

static std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status Ingester::IngestPath(const std::string& path, IngestCounters* counters) {
  crypto::HashStream hs = a_->NewContentHash();
  uint64_t bytes = 0;
  {
    DV_ASSIGN_OR_RETURN(auto f, ctx_.env->OpenSequential(path));
    // One read buffer for the whole run: a fresh zeroed MiB per hourly file was 3% of CPU.
    std::string& buf = read_buf_;
    if (buf.size() != (1 << 20)) buf.resize(1 << 20);
    while (true) {
      DV_ASSIGN_OR_RETURN(size_t n, f->Read(buf.data(), buf.size()));
      if (n == 0) break;
      hs.Update(std::string_view(buf.data(), n));
      bytes += n;
    }
  }
  crypto::Hash h = hs.Final();
  DV_ASSIGN_OR_RETURN(auto f, ctx_.env->OpenSequential(path));
  return IngestAs(path, BaseName(path), h, bytes, f.get(), counters);
}

Status Ingester::IngestSource(const std::string& name, const crypto::Hash& content_hash,
                              uint64_t bytes, SequentialFile* source, IngestCounters* counters) {
  return IngestAs(name, name, content_hash, bytes, source, counters);
}

void Ingester::EnableGroupCommit(int64_t max_files, uint64_t max_bytes, int64_t max_ms) {
  group_max_files_ = max_files;
  group_max_bytes_ = max_bytes;
  group_max_ms_ = max_ms;
}

Status Ingester::Flush(IngestCounters* counters, std::vector<std::string>* failed) {
  if (!group_) return Status::Ok();
  std::unique_ptr<store::IngestGroup> g = std::move(group_);
  std::vector<Pending> pending = std::move(pending_);
  pending_.clear();
  Status s = g->Commit();
  if (!s.ok()) {
    g.reset();  // rolls the whole group back
    for (const auto& p : pending) failed->push_back(p.display);
    if (pending.size() < 2) return s;
    return s.Context("the " + std::to_string(pending.size()) +
                     " files of an ingest group were not committed");
  }
  g.reset();
  // The files are in the archive from here on, whatever the anchor does: count them all.
  Status first;
  for (const auto& p : pending) {
    Status a = Committed(p, counters);
    if (!a.ok()) {
      failed->push_back(p.display);
      if (first.ok()) first = a;
    }
  }
  return first;
}

Status Ingester::Committed(const Pending& p, IngestCounters* counters) {
  audit::AuditLog log(a_);
  Status anchored = log.Anchor(p.row);
  const IngestCounters& local = p.local;
  ++counters->files_ingested;
  counters->records_ingested += local.records_ingested;
  counters->records_duplicate += local.records_duplicate;
  counters->records_new_version += local.records_new_version;
  counters->records_suppressed += local.records_suppressed;
  counters->schema_anomalies += local.schema_anomalies;
  counters->needs_review += local.needs_review;
  counters->pgp_values += local.pgp_values;
  counters->pgp_decrypted += local.pgp_decrypted;
  counters->records_unsearchable += local.records_unsearchable;
  for (auto& [k, v] : local.records_per_type) counters->records_per_type[k] += v;
  if (ctx_.log && ctx_.verbosity != Verbosity::kQuiet)
    ctx_.log("ingested " + p.name + ": " +
             std::to_string(local.records_ingested + local.records_duplicate +
                            local.records_new_version + local.records_suppressed) +
             " records (" + std::to_string(local.records_ingested) + " new, " +
             std::to_string(local.records_duplicate) + " copies, " +
             std::to_string(local.records_suppressed) + " suppressed)");
  if (ctx_.log && local.pgp_values > 0)
    ctx_.log(
        "note: " + p.name + ": " + std::to_string(local.pgp_values) +
        " PGP-encrypted values were not decrypted (" +
        (ctx_.pgp_key_file.empty() ? "no --pgp-key given" : "the given key does not decrypt them") +
        "); " + std::to_string(local.records_unsearchable) +
        " new records stored as they came and marked unsearchable");
  if (!anchored.ok())
    return Status(anchored.code(),
                  p.name + " was ingested (audit entry " + std::to_string(p.row.seq) +
                      "), but the audit anchor was not updated (" + anchored.message() + ")");
  return Status::Ok();
}

Status Ingester::IngestAs(const std::string& display, const std::string& name,
                          const crypto::Hash& content_hash, uint64_t bytes, SequentialFile* source,
                          IngestCounters* counters) {
  DV_ASSIGN_OR_RETURN(bool known, Known(name, content_hash));
  if (known) {
    ++counters->files_skipped;
    if (ctx_.log && ctx_.verbosity != Verbosity::kQuiet)
      ctx_.log("skipped " + name + ": already ingested");
    return Status::Ok();
  }
  store::FileMeta meta;
  // Data Access file names hold only a type, two instants and a part number; any other name
  // (a local file the user named) may hold anything, so only a keyed pseudonym of it is kept.
  auto parsed_name = format::ParseDataAccessFileName(name);
  meta.name =
      parsed_name ? name : "local-" + crypto::ToHex(a_->IdentifierHash(0, name)).substr(0, 16);
  if (bytes == 0 && name.size() > 3 && name.compare(name.size() - 3, 3, ".gz") == 0)
    return Status::Failed(name + ": empty file (a gzip file has at least a header)");
  meta.content_hash = content_hash;
  meta.bytes = bytes;
  if (parsed_name) {
    meta.type = static_cast<uint8_t>(parsed_name->type);
    meta.scope_start_ms = parsed_name->scope_start_ms;
    meta.scope_end_ms = parsed_name->scope_end_ms;
  }
  format::RecordReader reader(source, ctx_.limits, name);
  std::unique_ptr<store::IngestBatch> batch;
  if (group_max_files_ > 0) {
    if (!group_) {
      DV_ASSIGN_OR_RETURN(group_, a_->BeginIngestGroup());
      group_started_ms_ = ctx_.env->NowMillis();
    }
    DV_ASSIGN_OR_RETURN(batch, group_->BeginFile(meta));
  } else {
    DV_ASSIGN_OR_RETURN(batch, a_->BeginIngest(meta));
  }
  IngestCounters local;
  std::string_view raw;
  int64_t n = 0;
  uint8_t file_type = meta.type;
  while (true) {
    DV_ASSIGN_OR_RETURN(bool more, reader.Next(&raw));
    if (!more) break;
    ++n;
    auto ex = extractor_->Extract(raw);
    if (!ex.ok())
      return Status(ex.status().code(),
                    name + ": record " + std::to_string(n) + ": " + ex.status().message());
    const identity::ExtractedRecord& r = ex.value();
    store::RecordInput in;
    in.type = static_cast<uint8_t>(r.type);
    if (file_type == 0) file_type = in.type;
    in.start_ms = r.start_ms;
    in.end_ms = r.end_ms;
    in.raw = raw;
    if (!r.natural_key.empty()) {
      in.natural_key = a_->NaturalKeyHash(in.type, r.natural_key);
    } else {
      // No natural key: the record is identified by its exact bytes.
      std::string k = "\x01content:";
      k.append(raw);
      in.natural_key = a_->NaturalKeyHash(in.type, k);
    }
    // Stored byte-exact as it came; indexed by the decrypted values where a key decrypted
    // them, else marked unsearchable (IndexRows).
    in.idents = IndexRows(*a_, r);
    DV_ASSIGN_OR_RETURN(store::AddOutcome oc, batch->Add(in));
    local.schema_anomalies += r.schema_anomalies;
    local.needs_review += r.needs_review;
    local.pgp_values += r.pgp_values;
    local.pgp_decrypted += r.pgp_decrypted;
    switch (oc) {
      case store::AddOutcome::kNew:
        if (r.pgp_values > 0) ++local.records_unsearchable;
        ++local.records_ingested;
        ++local.records_per_type[TypeName(in.type)];
        break;
      case store::AddOutcome::kCopy:
        ++local.records_duplicate;
        break;
      case store::AddOutcome::kNewVersion:
        ++local.records_new_version;
        break;
      case store::AddOutcome::kSuppressed:
        // A record counts once everywhere, even when several files carry it.
        if (suppressed_seen_.insert(in.natural_key).second) ++local.records_suppressed;
        break;
    }
  }
  if (n == 0 && ctx_.log) ctx_.log("note: " + name + " holds no records");
  Json body = {{"file", meta.name},
               {"type", TypeName(file_type)},
               {"bytes", bytes},
               {"records", n},
               {"new", local.records_ingested},
               {"copies", local.records_duplicate},
               {"versions", local.records_new_version},
               {"suppressed", local.records_suppressed},
               {"schema_anomalies", local.schema_anomalies}};
  if (local.pgp_values > 0 || local.pgp_decrypted > 0) {
    body["pgp_values_decrypted"] = local.pgp_decrypted;
    body["pgp_values_unindexed"] = local.pgp_values;
    body["records_unsearchable"] = local.records_unsearchable;
  }
  if (local.pgp_decrypted > 0 && !pgp_indexed_) {
    DV_RETURN_IF_ERROR(a_->SetMeta("pgp_indexed", "1"));
    pgp_indexed_ = true;
  }
  audit::AuditLog log(a_);
  Pending p{display, name, local, {}};
  DV_ASSIGN_OR_RETURN(p.row, log.Append("ingest", body.dump()));
  DV_RETURN_IF_ERROR(batch->Commit(n));
  batch.reset();
  if (!group_) return Committed(p, counters);  // its own commit: durable now
  pending_.push_back(std::move(p));
  return Status::Ok();
}

bool Ingester::GroupFull() {
  return group_ &&
         (group_->files() >= group_max_files_ || group_->sealed_bytes() >= group_max_bytes_ ||
          ctx_.env->NowMillis() - group_started_ms_ >= group_max_ms_);
}

Outcome Ingest(Context& ctx, const IngestOptions& opts) {
  Outcome out;
  if (opts.files.empty()) {
    out.status = Status::Usage("ingest needs at least one FILE");
    return out;
  }
  // A bad key file is refused before the archive is opened.
  if (auto k = PgpKeyring(ctx); !k.ok()) {
    out.status = k.status();
    return out;
  }
  auto a = OpenArchive(ctx, store::Access::kWrite);
  if (!a.ok()) {
    out.status = a.status();
    return out;
  }
  auto ing = Ingester::Create(ctx, a.value().get());
  if (!ing.ok()) {
    out.status = ing.status();
    return out;
  }
  IngestCounters c;
  Status first_error;
  // Group commit: ~256 hourly files per durable commit instead of one commit (~3 fsyncs) each.
  // DAVAULT_INGEST_GROUP_FILES=N caps a group at N files (the kill tests use small groups so
  // that kills land between group commits too; N=1 is one commit per file).
  int64_t group_files = kIngestGroupFiles;
  if (const char* v = std::getenv("DAVAULT_INGEST_GROUP_FILES"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    if (*end != '\0' || n < 1) {
      out.status = Status::Usage("DAVAULT_INGEST_GROUP_FILES must be a positive integer");
      return out;
    }
    group_files = n;
  }
  ing.value()->EnableGroupCommit(group_files, kIngestGroupBytes, kIngestGroupMs);
  auto failed = [&](const std::string& f, const Status& s) {
    c.files_failed.push_back(f);
    c.errors.push_back({{"file", f}, {"error", s.message()}});
    // One line per error: with one file the final status line is that line.
    if (ctx.log && opts.files.size() > 1) ctx.log("error: " + s.message());
    if (first_error.ok()) first_error = s;
  };
  auto flush = [&]() {
    std::vector<std::string> lost;  // files of a failed group, or whose anchor failed
    Status s = ing.value()->Flush(&c, &lost);
    if (!s.ok())
      for (const auto& f : lost) failed(f, s);
  };
  for (const auto& f : opts.files) {
    Status s = ing.value()->IngestPath(f, &c);
    if (!s.ok()) failed(f, s);
    if (ing.value()->GroupFull()) flush();
  }
  flush();
  if (auto u = UnsearchableRecords(*a.value()); u.ok()) c.unsearchable_records = u.value();
  c.ToJson(&out.result);
  if (!first_error.ok()) {
    int failed = static_cast<int>(c.files_failed.size());
    out.status = Status(
        first_error.code() == Code::kBusy ? Code::kBusy : Code::kFailed,
        failed == 1 ? first_error.message()
                    : std::to_string(failed) + " files failed; first: " + first_error.message());
  }
  return out;
}

}  // namespace davault::compliance
