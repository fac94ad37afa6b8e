// Destruction shared by erase and sweep: delete records and their keys in one transaction,
// journal the storage work, compact segments after the commit, record completion.
#pragma once

#include "compliance/common.h"

namespace davault::compliance {

struct DestroyResult {
  store::DeleteResult deleted;
  int64_t journal_id = 0;
  int64_t storage_files_rewritten = 0;
  int64_t data_files_emptied = 0;
};

// Inside an open transaction: deletes the records (index rows, keys, payload rows), adds the
// suppression hashes, opens a journal entry. The caller adds its audit entry and commits.
Result<DestroyResult> DestroyInTransaction(store::Archive& a, const std::vector<int64_t>& ids,
                                           const std::vector<crypto::Hash>& suppress,
                                           const std::map<crypto::Hash, uint8_t>& kinds,
                                           const std::string& op);
// After the commit: compacts the journal's segments, checkpoints, records completion.
Status FinishDestruction(store::Archive& a, DestroyResult* r, const std::string& event,
                         Json completion_body);

}  // namespace davault::compliance
