// FaultEnv: counting and failing davault's own I/O operations for the fault-injection tests.
#include "base/fault_env.h"

#include <cerrno>
#include <cstring>
#include <mutex>

namespace davault {

std::string FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kOpen:
      return "open";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kSync:
      return "fsync";
    case FaultOp::kClose:
      return "close";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kRemove:
      return "remove";
    case FaultOp::kAny:
      return "any";
  }
  return "unknown";
}

struct FaultEnv::State {
  mutable std::mutex mu;
  std::array<int64_t, kFaultOpKinds + 1> counts{};  // last slot: every kind
  std::array<int64_t, kFaultOpKinds + 1> base{};    // counts when the fault was armed
  bool armed = false;
  FaultSpec spec;
  int64_t injected = 0;
  std::string first_message;

  // Counts one operation; returns a failure when the armed fault says this one fails.
  // *torn is set when a failing Append should leave half its data behind.
  Status Check(FaultOp kind, const char* what, const std::string& path, bool* torn = nullptr) {
    std::lock_guard<std::mutex> lock(mu);
    ++counts[static_cast<size_t>(kind)];
    ++counts[kFaultOpKinds];
    if (!armed) return Status::Ok();
    size_t slot = spec.op == FaultOp::kAny ? kFaultOpKinds : static_cast<size_t>(spec.op);
    if (spec.op != FaultOp::kAny && spec.op != kind) return Status::Ok();
    int64_t n = counts[slot] - base[slot];
    bool fail = spec.repeat == FaultRepeat::kPersistent ? n >= spec.nth : n == spec.nth;
    if (!fail) return Status::Ok();
    int err = spec.error == FaultError::kEnospc ? ENOSPC : EIO;
    std::string m =
        std::string(what) + " " + path + ": " + std::strerror(err) + " [injected fault]";
    if (injected++ == 0) first_message = m;
    if (torn != nullptr) *torn = spec.torn == TornWrite::kHalf;
    return Status::Failed(m);
  }
};

namespace {

using State = FaultEnv::State;

class FaultSequentialFile : public SequentialFile {
 public:
  FaultSequentialFile(std::shared_ptr<State> st, std::string path,
                      std::unique_ptr<SequentialFile> f)
      : st_(std::move(st)), path_(std::move(path)), f_(std::move(f)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    DV_RETURN_IF_ERROR(st_->Check(FaultOp::kRead, "cannot read", path_));
    return f_->Read(buf, n);
  }

 private:
  std::shared_ptr<State> st_;
  std::string path_;
  std::unique_ptr<SequentialFile> f_;
};

class FaultRandomAccessFile : public RandomAccessFile {
 public:
  FaultRandomAccessFile(std::shared_ptr<State> st, std::string path,
                        std::unique_ptr<RandomAccessFile> f)
      : st_(std::move(st)), path_(std::move(path)), f_(std::move(f)) {}
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const override {
    DV_RETURN_IF_ERROR(st_->Check(FaultOp::kRead, "cannot read", path_));
    return f_->ReadAt(offset, n, out);
  }
  uint64_t Size() const override { return f_->Size(); }

 private:
  std::shared_ptr<State> st_;
  std::string path_;
  std::unique_ptr<RandomAccessFile> f_;
};

class FaultWritableFile : public WritableFile {
 public:
  FaultWritableFile(std::shared_ptr<State> st, std::string path, std::unique_ptr<WritableFile> f)
      : st_(std::move(st)), path_(std::move(path)), f_(std::move(f)) {}
  Status Append(std::string_view data) override {
    bool torn = false;
    Status s = st_->Check(FaultOp::kWrite, "cannot write", path_, &torn);
    if (!s.ok()) {
      if (torn) (void)f_->Append(data.substr(0, data.size() / 2));
      return s;
    }
    return f_->Append(data);
  }
  Status Sync() override {
    DV_RETURN_IF_ERROR(st_->Check(FaultOp::kSync, "cannot fsync", path_));
    return f_->Sync();
  }
  Status Close() override {
    Status s = st_->Check(FaultOp::kClose, "cannot close", path_);
    Status c = f_->Close();  // a failed close(2) still releases the descriptor
    return s.ok() ? c : s;
  }
  uint64_t Size() const override { return f_->Size(); }
  Status Truncate(uint64_t size) override {
    DV_RETURN_IF_ERROR(st_->Check(FaultOp::kWrite, "cannot truncate", path_));
    return f_->Truncate(size);
  }

 private:
  std::shared_ptr<State> st_;
  std::string path_;
  std::unique_ptr<WritableFile> f_;
};

}  // namespace

FaultEnv::FaultEnv(Env* target) : EnvWrapper(target), state_(std::make_shared<State>()) {}
FaultEnv::~FaultEnv() = default;

void FaultEnv::Arm(const FaultSpec& spec) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->spec = spec;
  state_->base = state_->counts;
  state_->armed = true;
}

void FaultEnv::Disarm() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->armed = false;
}

void FaultEnv::ResetCounters() {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->counts = {};
  state_->base = {};
  state_->injected = 0;
  state_->first_message.clear();
}

int64_t FaultEnv::count(FaultOp op) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->counts[op == FaultOp::kAny ? kFaultOpKinds : static_cast<size_t>(op)];
}

int64_t FaultEnv::injected() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->injected;
}

std::string FaultEnv::first_injected_message() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->first_message;
}

Result<std::unique_ptr<SequentialFile>> FaultEnv::OpenSequential(const std::string& p) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kOpen, "cannot open", p));
  DV_ASSIGN_OR_RETURN(auto f, target()->OpenSequential(p));
  return std::unique_ptr<SequentialFile>(new FaultSequentialFile(state_, p, std::move(f)));
}

Result<std::unique_ptr<RandomAccessFile>> FaultEnv::OpenRandomAccess(const std::string& p) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kOpen, "cannot open", p));
  DV_ASSIGN_OR_RETURN(auto f, target()->OpenRandomAccess(p));
  return std::unique_ptr<RandomAccessFile>(new FaultRandomAccessFile(state_, p, std::move(f)));
}

Result<std::unique_ptr<WritableFile>> FaultEnv::NewWritable(const std::string& p, CreateMode c,
                                                            uint32_t mode) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kOpen, "cannot create", p));
  DV_ASSIGN_OR_RETURN(auto f, target()->NewWritable(p, c, mode));
  return std::unique_ptr<WritableFile>(new FaultWritableFile(state_, p, std::move(f)));
}

Status FaultEnv::Rename(const std::string& from, const std::string& to) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kRename, "cannot rename", from));
  return target()->Rename(from, to);
}

Status FaultEnv::Remove(const std::string& p) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kRemove, "cannot remove", p));
  return target()->Remove(p);
}

Status FaultEnv::SyncDir(const std::string& d) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kSync, "cannot fsync directory", d));
  return target()->SyncDir(d);
}

Status FaultEnv::MakeDir(const std::string& p, uint32_t mode) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kOpen, "cannot create directory", p));
  return target()->MakeDir(p, mode);
}

Status FaultEnv::RemoveDir(const std::string& p) {
  DV_RETURN_IF_ERROR(state_->Check(FaultOp::kRemove, "cannot remove directory", p));
  return target()->RemoveDir(p);
}

}  // namespace davault
