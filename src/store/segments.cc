// Segment files: append-only writing through a temp file, reading entries, scanning for verify.
#include "store/segments.h"

#include <cstdio>
#include <cstring>

namespace davault::store {
namespace {

constexpr char kMagic[8] = {'D', 'V', 'S', 'E', 'G', 0, 0, 1};

void PutU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string* s, uint64_t v) {
  for (int i = 0; i < 8; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t GetLE(const std::string& s, size_t pos, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[pos + i]);
  return v;
}

std::string SegmentName(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%016llx.seg", static_cast<unsigned long long>(id));
  return buf;
}

}  // namespace

SegmentWriter::~SegmentWriter() {
  if (!done_) {
    file_.reset();
    (void)env_->Remove(tmp_);
  }
}

Result<SegmentEntry> SegmentWriter::Append(uint64_t record_id, uint32_t seq,
                                           std::string_view sealed) {
  buf_.clear();
  PutU32(&buf_, static_cast<uint32_t>(sealed.size() + 12));
  PutU64(&buf_, record_id);
  PutU32(&buf_, seq);
  SegmentEntry e{record_id, seq, size_, static_cast<uint32_t>(kEntryHeaderSize + sealed.size())};
  DV_RETURN_IF_ERROR(file_->Append(buf_));
  DV_RETURN_IF_ERROR(file_->Append(sealed));
  size_ += e.length;
  ++entries_;
  return e;
}

Result<SegmentEntry> SegmentWriter::AppendRaw(std::string_view entry) {
  if (entry.size() < kEntryHeaderSize) return Status::Failed("segment entry is too short");
  std::string hdr(entry.substr(0, kEntryHeaderSize));
  SegmentEntry e{GetLE(hdr, 4, 8), static_cast<uint32_t>(GetLE(hdr, 12, 4)), size_,
                 static_cast<uint32_t>(entry.size())};
  DV_RETURN_IF_ERROR(file_->Append(entry));
  size_ += e.length;
  ++entries_;
  return e;
}

Status SegmentWriter::Finish(bool sync_dir) {
  DV_RETURN_IF_ERROR(file_->Sync());
  DV_RETURN_IF_ERROR(file_->Close());
  DV_RETURN_IF_ERROR(env_->Rename(tmp_, final_));
  done_ = true;
  return sync_dir ? env_->SyncDir(dir_) : Status::Ok();
}

Status SegmentWriter::TruncateTo(uint64_t size, uint64_t entries) {
  if (done_) return Status::Failed("segment " + final_ + " is already finished");
  DV_RETURN_IF_ERROR(file_->Truncate(size));
  size_ = size;
  entries_ = entries;
  return Status::Ok();
}

Status SegmentStore::SyncDir() { return env_->SyncDir(dir_); }

std::string SegmentStore::PathFor(uint64_t id) const { return JoinPath(dir_, SegmentName(id)); }

Result<std::unique_ptr<SegmentWriter>> SegmentStore::Create(uint64_t id) {
  std::string final_path = PathFor(id);
  std::string tmp = final_path + ".tmp";
  DV_ASSIGN_OR_RETURN(auto file, env_->NewWritable(tmp, CreateMode::kTruncate, 0600));
  std::string hdr(kMagic, sizeof kMagic);
  hdr += archive_id_;
  PutU64(&hdr, id);
  std::unique_ptr<SegmentWriter> w(
      new SegmentWriter(env_, tmp, final_path, dir_, std::move(file), 0));
  DV_RETURN_IF_ERROR(w->file_->Append(hdr));
  w->size_ = hdr.size();
  w->id_ = id;
  return w;
}

Result<std::string> SegmentStore::ReadRaw(uint64_t id, const SegmentEntry& where) const {
  DV_ASSIGN_OR_RETURN(auto file, env_->OpenRandomAccess(PathFor(id)));
  return ReadRawAt(*file, id, where);
}

Result<std::string> SegmentStore::ReadRawAt(const RandomAccessFile& f, uint64_t id,
                                            const SegmentEntry& where) const {
  const RandomAccessFile* file = &f;
  if (where.length < kEntryHeaderSize || where.offset + where.length > file->Size())
    return Status::VerifyFailed("record " + std::to_string(where.record_id) +
                                ": storage entry lies outside segment " + SegmentName(id));
  std::string raw;
  DV_RETURN_IF_ERROR(file->ReadAt(where.offset, where.length, &raw));
  if (GetLE(raw, 0, 4) + 4 != where.length || GetLE(raw, 4, 8) != where.record_id ||
      GetLE(raw, 12, 4) != where.seq)
    return Status::VerifyFailed("record " + std::to_string(where.record_id) +
                                ": storage entry header does not match the index in segment " +
                                SegmentName(id));
  return raw;
}

Result<std::string> SegmentStore::ReadSealed(uint64_t id, const SegmentEntry& where) const {
  DV_ASSIGN_OR_RETURN(std::string raw, ReadRaw(id, where));
  return raw.substr(kEntryHeaderSize);
}

Result<std::vector<SegmentEntry>> SegmentStore::Scan(uint64_t id) const {
  std::string name = SegmentName(id);
  DV_ASSIGN_OR_RETURN(auto file, env_->OpenRandomAccess(PathFor(id)));
  uint64_t size = file->Size();
  std::string hdr;
  if (size < kSegmentHeaderSize) return Status::VerifyFailed("segment " + name + " is truncated");
  DV_RETURN_IF_ERROR(file->ReadAt(0, kSegmentHeaderSize, &hdr));
  if (std::memcmp(hdr.data(), kMagic, sizeof kMagic) != 0 || hdr.compare(8, 16, archive_id_) != 0 ||
      GetLE(hdr, 24, 8) != id)
    return Status::VerifyFailed("segment " + name + " has a damaged header");
  std::vector<SegmentEntry> out;
  uint64_t pos = kSegmentHeaderSize;
  std::string eh;
  while (pos < size) {
    if (pos + kEntryHeaderSize > size)
      return Status::VerifyFailed("segment " + name + " ends inside an entry header");
    DV_RETURN_IF_ERROR(file->ReadAt(pos, kEntryHeaderSize, &eh));
    uint64_t len = GetLE(eh, 0, 4) + 4;
    if (len < kEntryHeaderSize + 40 || pos + len > size)
      return Status::VerifyFailed("segment " + name + " has an entry running past its end");
    out.push_back({GetLE(eh, 4, 8), static_cast<uint32_t>(GetLE(eh, 12, 4)), pos,
                   static_cast<uint32_t>(len)});
    pos += len;
  }
  return out;
}

Status SegmentStore::Remove(uint64_t id, bool sync_dir) {
  std::string p = PathFor(id);
  if (env_->Exists(p)) DV_RETURN_IF_ERROR(env_->Remove(p));
  return sync_dir ? env_->SyncDir(dir_) : Status::Ok();
}

Result<SegmentStore::Listing> SegmentStore::List() const {
  DV_ASSIGN_OR_RETURN(auto names, env_->ListDir(dir_));
  Listing l;
  for (const auto& n : names) {
    unsigned long long id = 0;
    char tail[8] = {0};
    if (n.size() == 20 && std::sscanf(n.c_str(), "%16llx.%3s", &id, tail) == 2 &&
        std::string(tail) == "seg") {
      l.segments.push_back(id);
    } else if (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) {
      l.temp_files.push_back(n);
    } else {
      l.unknown_files.push_back(n);
    }
  }
  return l;
}

Status SegmentStore::RemoveTemp(const std::string& name) {
  DV_RETURN_IF_ERROR(env_->Remove(JoinPath(dir_, name)));
  return env_->SyncDir(dir_);
}

}  // namespace davault::store
