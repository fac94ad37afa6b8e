// The POSIX Env: real files, fsync, rename, flock locks, the system clock and getrandom().
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "davault/env.h"

namespace davault {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  return Status::Failed(what + " " + path + ": " + std::strerror(err));
}

class PosixSequentialFile : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }
  Result<size_t> Read(char* buf, size_t n) override {
    while (true) {
      ssize_t r = ::read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read", path_, errno);
    }
  }

 private:
  std::string path_;
  int fd_;
};

class PosixRandomAccessFile : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot read", path_, errno);
      }
      if (r == 0) return Status::Failed("unexpected end of file in " + path_);
      done += static_cast<size_t>(r);
    }
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Append(std::string_view data) override {
    const char* p = data.data();
    size_t left = data.size();
    while (left > 0) {
      ssize_t w = ::write(fd_, p, left);
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("cannot write", path_, errno);
      }
      p += w;
      left -= static_cast<size_t>(w);
      size_ += static_cast<uint64_t>(w);
    }
    return Status::Ok();
  }
  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus("cannot fsync", path_, errno);
    return Status::Ok();
  }
  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return ErrnoStatus("cannot close", path_, errno);
    return Status::Ok();
  }
  uint64_t Size() const override { return size_; }
  Status Truncate(uint64_t size) override {
    if (size > size_) return Status::Failed("cannot truncate " + path_ + " beyond its end");
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return ErrnoStatus("cannot truncate", path_, errno);
    if (::lseek(fd_, static_cast<off_t>(size), SEEK_SET) < 0)
      return ErrnoStatus("cannot seek in", path_, errno);
    size_ = size;
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_ = 0;
};

class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override {
    ::flock(fd_, LOCK_UN);
    ::close(fd_);
  }

 private:
  int fd_;
};

class PosixEnv : public Env {
 public:
  Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd);
      return Status::Failed("cannot read " + path + ": is a directory");
    }
    return std::unique_ptr<SequentialFile>(new PosixSequentialFile(path, fd));
  }

  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoStatus("cannot stat", path, err);
    }
    return std::unique_ptr<RandomAccessFile>(
        new PosixRandomAccessFile(path, fd, static_cast<uint64_t>(st.st_size)));
  }

  Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path, CreateMode create,
                                                    uint32_t mode) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    flags |= create == CreateMode::kExclusive ? O_EXCL : O_TRUNC;
    int fd = ::open(path.c_str(), flags, mode);
    if (fd < 0) return ErrnoStatus("cannot create", path, errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus("cannot rename", from, errno);
    return Status::Ok();
  }

  Status Remove(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove", path, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("cannot open directory", dir, errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus("cannot fsync directory", dir, err);
    return Status::Ok();
  }

  Status MakeDir(const std::string& path, uint32_t mode) override {
    if (::mkdir(path.c_str(), mode) != 0)
      return ErrnoStatus("cannot create directory", path, errno);
    return Status::Ok();
  }

  Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return ErrnoStatus("cannot remove directory", path, errno);
    return Status::Ok();
  }

  bool Exists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  Result<FileInfo> Stat(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("cannot stat", path, errno);
    FileInfo info;
    info.size = static_cast<uint64_t>(st.st_size);
    info.mode = st.st_mode & 07777;
    info.is_dir = S_ISDIR(st.st_mode);
    return info;
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus("cannot list", dir, errno);
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(d);
    return names;
  }

  Result<std::unique_ptr<FileLock>> Lock(const std::string& path, LockMode mode,
                                         int timeout_ms) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return ErrnoStatus("cannot open lock file", path, errno);
    int op = (mode == LockMode::kExclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (::flock(fd, op) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        int err = errno;
        ::close(fd);
        return ErrnoStatus("cannot lock", path, err);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd);
        return Status::Busy("archive is busy: another davault process holds its lock");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  int64_t NowMillis() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }

  void RandomBytes(void* buf, size_t n) override {
    auto* p = static_cast<unsigned char*>(buf);
    while (n > 0) {
      ssize_t r = ::getrandom(p, n, 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        std::abort();  // no safe way to go on without randomness
      }
      p += r;
      n -= static_cast<size_t>(r);
    }
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

std::string JoinPath(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (a.back() == '/') return a + b;
  return a + "/" + b;
}

static std::string DirName(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data,
                           uint32_t mode) {
  std::string tmp = path + ".tmp";
  {
    DV_ASSIGN_OR_RETURN(auto file, env->NewWritable(tmp, CreateMode::kTruncate, mode));
    Status s = file->Append(data);
    if (s.ok()) s = file->Sync();
    if (s.ok()) s = file->Close();
    if (!s.ok()) {
      (void)env->Remove(tmp);
      return s;
    }
  }
  Status s = env->Rename(tmp, path);
  if (!s.ok()) {
    (void)env->Remove(tmp);
    return s;
  }
  return env->SyncDir(DirName(path));
}

Result<std::string> ReadFileToString(Env* env, const std::string& path) {
  DV_ASSIGN_OR_RETURN(auto file, env->OpenSequential(path));
  std::string out;
  char buf[65536];
  while (true) {
    DV_ASSIGN_OR_RETURN(size_t n, file->Read(buf, sizeof buf));
    if (n == 0) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace davault
