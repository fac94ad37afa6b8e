// FaultEnv: an Env that counts davault's own I/O operations and fails a chosen one, for tests.
//
// Every operation that can fail on a real disk is counted under one kind (FaultOp); a test arms
// a fault ("fail the 3rd fsync with EIO", "fail every write from the 10th on with ENOSPC") and
// runs a workflow. Messages look like the POSIX Env's ("cannot write PATH: Input/output error")
// with " [injected fault]" appended, so a test can tell an injected failure from a real one.
// SQLite does its own I/O through its own VFS; FaultEnv does not see it.
//
// Thread-safe: counters and the armed fault are shared by the Env and every file it opened.
// Files opened through a FaultEnv keep its state alive, so they may outlive the Env.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "base/env_wrapper.h"

namespace davault {

enum class FaultOp : uint8_t {
  kOpen,    // OpenSequential, OpenRandomAccess, NewWritable, MakeDir
  kRead,    // SequentialFile::Read, RandomAccessFile::ReadAt
  kWrite,   // WritableFile::Append
  kSync,    // WritableFile::Sync, Env::SyncDir
  kClose,   // WritableFile::Close
  kRename,  // Env::Rename
  kRemove,  // Env::Remove, Env::RemoveDir
  kAny,     // any of the above (counted once per operation)
};
constexpr int kFaultOpKinds = 7;  // the kinds before kAny

std::string FaultOpName(FaultOp op);

enum class FaultError { kEio, kEnospc };
enum class FaultRepeat {
  kOnce,        // only the Nth operation fails; later ones succeed again
  kPersistent,  // the Nth and every later operation of that kind fail (a dead or full disk)
};
// What a failed Append leaves in the file: nothing, or the first half of the data (a torn
// write, as a full disk produces).
enum class TornWrite { kNone, kHalf };

struct FaultSpec {
  FaultOp op = FaultOp::kAny;
  int64_t nth = 1;  // 1-based, counted from the moment the fault is armed
  FaultError error = FaultError::kEio;
  FaultRepeat repeat = FaultRepeat::kOnce;
  TornWrite torn = TornWrite::kNone;
};

class FaultEnv : public EnvWrapper {
 public:
  explicit FaultEnv(Env* target);
  ~FaultEnv() override;

  // Arms a fault; counting for it starts now. Replaces any fault armed before.
  void Arm(const FaultSpec& spec);
  // Disarms the fault (operations succeed again); counters keep running.
  void Disarm();
  // Sets every counter (and the injected count) back to zero; keeps the armed fault.
  void ResetCounters();

  // Operations of a kind seen since construction or ResetCounters(); kAny is the total.
  int64_t count(FaultOp op) const;
  // Operations that were made to fail since construction or ResetCounters().
  int64_t injected() const;
  // The message of the first injected failure since construction or ResetCounters().
  std::string first_injected_message() const;

  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& p) override;
  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& p) override;
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& p, CreateMode c,
                                                    uint32_t mode) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& p) override;
  Status SyncDir(const std::string& d) override;
  Status MakeDir(const std::string& p, uint32_t mode) override;
  Status RemoveDir(const std::string& p) override;

  struct State;  // shared with the files this Env opened

 private:
  std::shared_ptr<State> state_;
};

}  // namespace davault
