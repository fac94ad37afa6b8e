// Plan-journal-execute-verify-record for destructive work (erase and sweep).
#include "compliance/destroy.h"

#include "base/crash_point.h"

namespace davault::compliance {

Result<DestroyResult> DestroyInTransaction(store::Archive& a, const std::vector<int64_t>& ids,
                                           const std::vector<crypto::Hash>& suppress,
                                           const std::map<crypto::Hash, uint8_t>& kinds,
                                           const std::string& op) {
  DestroyResult r;
  DV_ASSIGN_OR_RETURN(r.deleted, a.DeleteRecords(ids));
  r.data_files_emptied = r.deleted.files_emptied;
  int64_t now = a.env()->NowMillis();
  for (const auto& h : suppress) {
    auto k = kinds.find(h);
    DV_RETURN_IF_ERROR(a.AddSuppression({h}, k == kinds.end() ? 0 : k->second, now));
  }
  // The erased records' natural keys too: a re-issued copy stays out even if LivePerson has
  // since masked the identifiers in it.
  DV_RETURN_IF_ERROR(a.AddSuppression(r.deleted.natural_keys, 0, now));
  DV_ASSIGN_OR_RETURN(r.journal_id, a.AddJournal(op, r.deleted.segments, now));
  return r;
}

Status FinishDestruction(store::Archive& a, DestroyResult* r, const std::string& event,
                         Json completion_body) {
  CrashPoint("destroy.after_index_commit");
  // One WAL checkpoint (TRUNCATE) at the end instead of one after compaction and another after
  // the completion entry; it runs even when the completion entry fails, so that no page image
  // of the destroyed rows stays in the WAL either way.
  DV_ASSIGN_OR_RETURN(r->storage_files_rewritten,
                      a.CompactAndClose(r->journal_id, /*checkpoint=*/false));
  completion_body["journal"] = r->journal_id;
  completion_body["files_rewritten"] = r->storage_files_rewritten;
  Status s = a.Begin();
  if (s.ok()) s = AuditAndCommit(a, event, completion_body);
  if (!s.ok()) a.Rollback();
  Status c = a.Checkpoint();
  return s.ok() ? c : s;
}

}  // namespace davault::compliance
