// A gzip file written from start to end, byte-reproducible: header mtime 0, no stored name.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "davault/status.h"

namespace davault::gen {

// One gzip member per file, as LivePerson's files and the samples have. The header matches the
// samples' (written by Python's gzip module): no flags, mtime 0, OS byte 255 (unknown).
class GzipFile {
 public:
  // level is a zlib level, 1 (fastest) to 9 (smallest).
  static Result<std::unique_ptr<GzipFile>> Create(const std::string& path, int level);
  ~GzipFile();
  GzipFile(const GzipFile&) = delete;
  GzipFile& operator=(const GzipFile&) = delete;

  Status Append(std::string_view data);
  // Writes the trailer and closes the file; the file is complete only after this returns ok.
  Status Finish();

  uint64_t uncompressed_bytes() const { return uncompressed_; }
  uint64_t compressed_bytes() const { return compressed_; }

 private:
  GzipFile() = default;
  Status Deflate(int flush);

  std::string path_;
  std::FILE* file_ = nullptr;
  z_stream zs_{};
  gz_header header_{};
  bool zs_open_ = false;
  std::vector<unsigned char> out_;
  uint64_t uncompressed_ = 0;
  uint64_t compressed_ = 0;
};

}  // namespace davault::gen
