// zlib deflate into a gzip file with a fixed header, for reproducible fixtures.
#include "gen/gzip_file.h"

#include <cerrno>
#include <cstring>

namespace davault::gen {

namespace {
constexpr size_t kOutChunk = 1 << 18;
constexpr int kGzipWindowBits = 15 + 16;  // 15-bit window, gzip wrapper instead of zlib's
constexpr int kOsUnknown = 255;
}  // namespace

Result<std::unique_ptr<GzipFile>> GzipFile::Create(const std::string& path, int level) {
  std::unique_ptr<GzipFile> f(new GzipFile());
  f->path_ = path;
  f->file_ = std::fopen(path.c_str(), "wb");
  if (f->file_ == nullptr) {
    return Status::Failed(path + ": cannot create: " + std::strerror(errno));
  }
  if (deflateInit2(&f->zs_, level, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Failed(path + ": zlib deflateInit2 failed");
  }
  f->zs_open_ = true;
  // Without a header of our own zlib writes OS=3 (Unix); the samples say 255, and mtime 0.
  f->header_.time = 0;
  f->header_.os = kOsUnknown;
  if (deflateSetHeader(&f->zs_, &f->header_) != Z_OK) {
    return Status::Failed(path + ": zlib deflateSetHeader failed");
  }
  f->out_.resize(kOutChunk);
  return f;
}

GzipFile::~GzipFile() {
  if (zs_open_) deflateEnd(&zs_);
  if (file_ != nullptr) std::fclose(file_);
}

Status GzipFile::Append(std::string_view data) {
  zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs_.avail_in = static_cast<uInt>(data.size());
  uncompressed_ += data.size();
  return Deflate(Z_NO_FLUSH);
}

Status GzipFile::Deflate(int flush) {
  for (;;) {
    zs_.next_out = out_.data();
    zs_.avail_out = static_cast<uInt>(out_.size());
    const int rc = deflate(&zs_, flush);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      return Status::Failed(path_ + ": zlib deflate failed");
    }
    const size_t have = out_.size() - zs_.avail_out;
    if (have > 0) {
      if (std::fwrite(out_.data(), 1, have, file_) != have) {
        return Status::Failed(path_ + ": write failed: " + std::strerror(errno));
      }
      compressed_ += have;
    }
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs_.avail_in == 0 && zs_.avail_out != 0)) {
      return Status::Ok();
    }
  }
}

Status GzipFile::Finish() {
  DV_RETURN_IF_ERROR(Deflate(Z_FINISH));
  deflateEnd(&zs_);
  zs_open_ = false;
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) return Status::Failed(path_ + ": close failed: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace davault::gen
