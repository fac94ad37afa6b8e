// Env: the one seam through which davault touches files, locks, the clock and randomness.
//
// Every module does its own I/O through an Env so that tests can inject faults (a failed write,
// fsync or rename) and move the clock. Env::Default() is the POSIX implementation. All paths
// are plain strings; none of them may contain personal data (callers guarantee that).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"

namespace davault {

// A file read from start to end.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into buf. Returns the number read; 0 means end of file.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// A file read at arbitrary offsets.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads exactly n bytes at offset into *out; fails if the file is shorter.
  virtual Status ReadAt(uint64_t offset, size_t n, std::string* out) const = 0;
  virtual uint64_t Size() const = 0;
};

// A file written from start to end. Destroying it without Close() closes it without syncing.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // fdatasync/fsync: data is durable when this returns ok
  virtual Status Close() = 0;
  virtual uint64_t Size() const = 0;
  // Cuts the file back to `size` bytes (<= Size()); later appends continue from there. Lets a
  // writer drop what it appended for input that turned out bad, before anything is durable.
  virtual Status Truncate(uint64_t size) = 0;
};

// A held advisory lock; released on destruction.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

enum class LockMode { kShared, kExclusive };
enum class CreateMode { kTruncate, kExclusive };  // kExclusive fails if the file exists

struct FileInfo {
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits
  bool is_dir = false;
};

class Env {
 public:
  virtual ~Env() = default;

  virtual Result<std::unique_ptr<SequentialFile>> OpenSequential(const std::string& path) = 0;
  virtual Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& path) = 0;
  // Creates (or truncates) a file with the given permission bits.
  virtual Result<std::unique_ptr<WritableFile>> NewWritable(const std::string& path,
                                                            CreateMode create,
                                                            uint32_t mode = 0600) = 0;
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Remove(const std::string& path) = 0;
  virtual Status SyncDir(const std::string& dir) = 0;
  virtual Status MakeDir(const std::string& path, uint32_t mode = 0700) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Result<FileInfo> Stat(const std::string& path) = 0;
  virtual Result<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Waits up to timeout_ms for the lock; fails with Code::kBusy when it cannot get it.
  virtual Result<std::unique_ptr<FileLock>> Lock(const std::string& path, LockMode mode,
                                                 int timeout_ms) = 0;

  // Milliseconds since the Unix epoch, UTC.
  virtual int64_t NowMillis() = 0;
  // Cryptographically secure random bytes.
  virtual void RandomBytes(void* buf, size_t n) = 0;

  // The process-wide POSIX Env. Never deleted.
  static Env* Default();
};

// Writes data to path so that a crash leaves either the old file or the new one:
// temp file in the same directory, fsync, rename over path, fsync the directory.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data,
                           uint32_t mode = 0600);

// Reads a whole (small) file.
Result<std::string> ReadFileToString(Env* env, const std::string& path);

// Joins two path components with exactly one '/'.
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace davault
