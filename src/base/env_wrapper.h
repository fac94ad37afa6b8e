// EnvWrapper forwards every call to another Env; subclasses override what they change
// (a fixed clock for tests and --as-of style runs, fault injection).
#pragma once

#include "davault/env.h"

namespace davault {

class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& p) override {
    return target_->OpenSequential(p);
  }
  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& p) override {
    return target_->OpenRandomAccess(p);
  }
  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& p, CreateMode c,
                                                    uint32_t mode) override {
    return target_->NewWritable(p, c, mode);
  }
  Status Rename(const std::string& f, const std::string& t) override { return target_->Rename(f, t); }
  Status Remove(const std::string& p) override { return target_->Remove(p); }
  Status SyncDir(const std::string& d) override { return target_->SyncDir(d); }
  Status MakeDir(const std::string& p, uint32_t mode) override { return target_->MakeDir(p, mode); }
  Status RemoveDir(const std::string& p) override { return target_->RemoveDir(p); }
  bool Exists(const std::string& p) override { return target_->Exists(p); }
  Result<FileInfo> Stat(const std::string& p) override { return target_->Stat(p); }
  Result<std::vector<std::string>> ListDir(const std::string& d) override {
    return target_->ListDir(d);
  }
  Result<std::unique_ptr<FileLock>> Lock(const std::string& p, LockMode m, int t) override {
    return target_->Lock(p, m, t);
  }
  int64_t NowMillis() override { return target_->NowMillis(); }
  void RandomBytes(void* b, size_t n) override { target_->RandomBytes(b, n); }

 private:
  Env* target_;
};

// The clock stands still at a given instant (DAVAULT_NOW in tests); everything else is real.
class FixedClockEnv : public EnvWrapper {
 public:
  FixedClockEnv(Env* target, int64_t now_ms) : EnvWrapper(target), now_(now_ms) {}
  int64_t NowMillis() override { return now_; }

 private:
  int64_t now_;
};

}  // namespace davault
