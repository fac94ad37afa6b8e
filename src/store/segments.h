// Segment files: the record storage. Each holds sealed payloads; it knows nothing of crypto.
//
// Layout (format version 1), all integers little-endian:
//   header  "DVSEG\0\0\1" (8) | archive id (16) | segment id (u64)          = 32 bytes
//   entry   length of the rest (u32) | record id (u64) | payload seq (u32) | sealed bytes
// An entry's (offset, length) in the index covers the whole entry. A segment is written once
// to a temp file, fsynced, renamed into place and the directory fsynced; it is never modified
// in place, only replaced by a compacted copy or removed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "davault/env.h"

namespace davault::store {

constexpr size_t kSegmentHeaderSize = 32;
constexpr size_t kEntryHeaderSize = 16;

struct SegmentEntry {
  uint64_t record_id = 0;
  uint32_t seq = 0;
  uint64_t offset = 0;
  uint32_t length = 0;  // whole entry, header included
};

class SegmentWriter {
 public:
  ~SegmentWriter();  // removes the temp file unless Finish() succeeded
  // Appends an entry; returns where it landed.
  Result<SegmentEntry> Append(uint64_t record_id, uint32_t seq, std::string_view sealed);
  // Copies a whole entry read from another segment (compaction never decrypts).
  Result<SegmentEntry> AppendRaw(std::string_view entry);
  // fsync, rename into place, fsync the directory (unless sync_dir is false: a group commit
  // renames several segments and then fsyncs their directory once, see SyncDir).
  Status Finish(bool sync_dir = true);
  // Drops every entry appended since the writer held `entries` entries in `size` bytes (the
  // entries of an input file that failed half-way; nothing of them was durable yet).
  Status TruncateTo(uint64_t size, uint64_t entries);
  uint64_t segment_id() const { return id_; }
  uint64_t bytes() const { return size_; }
  uint64_t entries() const { return entries_; }

 private:
  friend class SegmentStore;
  SegmentWriter(Env* env, std::string tmp, std::string final_path, std::string dir,
                std::unique_ptr<WritableFile> file, uint64_t size)
      : env_(env),
        tmp_(std::move(tmp)),
        final_(std::move(final_path)),
        dir_(std::move(dir)),
        file_(std::move(file)),
        size_(size) {}
  Env* env_;
  std::string tmp_, final_, dir_;
  std::unique_ptr<WritableFile> file_;
  uint64_t size_;
  uint64_t id_ = 0;
  uint64_t entries_ = 0;
  bool done_ = false;
  std::string buf_;
};

class SegmentStore {
 public:
  SegmentStore(Env* env, std::string dir, std::string archive_id)
      : env_(env), dir_(std::move(dir)), archive_id_(std::move(archive_id)) {}

  std::string PathFor(uint64_t segment_id) const;
  Result<std::unique_ptr<SegmentWriter>> Create(uint64_t segment_id);
  // fsync of the segments directory (after renames done with Finish(false)).
  Status SyncDir();
  // Reads one entry and checks that its header names the expected record; returns the sealed
  // bytes (the part after the entry header).
  Result<std::string> ReadSealed(uint64_t segment_id, const SegmentEntry& where) const;
  // Reads a whole entry, header included (for compaction).
  Result<std::string> ReadRaw(uint64_t segment_id, const SegmentEntry& where) const;
  // Walks a segment's entries; fails on a damaged header or an entry running past the end.
  Result<std::vector<SegmentEntry>> Scan(uint64_t segment_id) const;
  // Removes a segment file if it exists; fsyncs the directory unless sync_dir is false (the
  // caller removes several and then calls SyncDir once).
  Status Remove(uint64_t segment_id, bool sync_dir = true);
  // Reads a whole entry through an already open segment file (compaction of many entries).
  Result<std::string> ReadRawAt(const RandomAccessFile& file, uint64_t segment_id,
                                const SegmentEntry& where) const;
  // Segment ids present on disk, and leftover temp files (names only).
  struct Listing {
    std::vector<uint64_t> segments;
    std::vector<std::string> temp_files;
    std::vector<std::string> unknown_files;
  };
  Result<Listing> List() const;
  Status RemoveTemp(const std::string& name);
  const std::string& dir() const { return dir_; }

 private:
  Env* env_;
  std::string dir_;
  std::string archive_id_;  // 16 raw bytes
};

}  // namespace davault::store
