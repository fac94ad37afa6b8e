// Helpers shared by the fuzz targets: an in-memory file and an Env that serves one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "base/env_wrapper.h"
#include "davault/env.h"

namespace davault::fuzz {

// Reads a byte string in chunks of varying size (so that chunk boundaries fall everywhere).
class MemSequentialFile : public SequentialFile {
 public:
  explicit MemSequentialFile(std::string_view data) : data_(data) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t step = 1 + (pos_ * 7919 + data_.size()) % 4093;
    size_t k = std::min({n, step, data_.size() - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

class MemRandomAccessFile : public RandomAccessFile {
 public:
  explicit MemRandomAccessFile(std::string data) : data_(std::move(data)) {}
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const override {
    if (offset > data_.size() || n > data_.size() - offset)
      return Status::Failed("unexpected end of file");
    out->assign(data_, offset, n);
    return Status::Ok();
  }
  uint64_t Size() const override { return data_.size(); }

 private:
  std::string data_;
};

// Every random-access open of `path` gets `data`; everything else goes to the real Env.
class OneFileEnv : public EnvWrapper {
 public:
  OneFileEnv(std::string path, std::string data)
      : EnvWrapper(Env::Default()), path_(std::move(path)), data_(std::move(data)) {}
  Result<std::unique_ptr<RandomAccessFile>> OpenRandomAccess(const std::string& p) override {
    if (p != path_) return Status::Failed("no such file " + p);
    return std::unique_ptr<RandomAccessFile>(new MemRandomAccessFile(data_));
  }

 private:
  std::string path_, data_;
};

}  // namespace davault::fuzz
