// RecordReader: streams the raw JSON records out of a Data Access file (gzip or plain).
//
// Accepts the framings LivePerson and its documentation use: JSON lines, JSON values simply
// concatenated (pretty-printed across lines), or one top-level JSON array whose elements are the
// records. Gzip input (magic 1f 8b) may hold several concatenated members. Record boundaries are
// found by a byte state machine; no DOM is built, and memory is bounded by the largest record.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "davault/env.h"
#include "davault/status.h"

namespace davault::format {

// Limits on hostile input (shared/CLI.md "Limits on hostile input").
struct Limits {
  uint64_t max_record_bytes = 64ull << 20;
  uint64_t max_inflated_bytes = 16ull << 30;
  uint64_t max_inflate_ratio = 1000;  // checked once more than 1 MiB has been inflated
  int max_depth = 256;
};

class RecordReader {
 public:
  // source must outlive the reader. display_name names the file in error messages; it must not
  // contain personal data.
  RecordReader(SequentialFile* source, Limits limits, std::string display_name);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  // Sets *raw_record to the next record's bytes exactly as in the file, from its opening to its
  // closing bracket, and returns true; returns false at the end of the input. The view stays
  // valid until the next call. Errors (Code::kFailed) name display_name and the record number,
  // never content; after an error every further call returns the same error.
  Result<bool> Next(std::string_view* raw_record);

  uint64_t compressed_bytes() const { return compressed_bytes_; }  // bytes read from the source
  uint64_t inflated_bytes() const { return inflated_bytes_; }      // decoded text bytes so far
  uint64_t records() const { return records_; }

 private:
  struct Inflater;
  enum class Frame : uint8_t { kUnknown, kStream, kArray };
  enum class ArrayState : uint8_t { kFirstOrEnd, kElement, kCommaOrEnd, kClosed };

  Status Fail(const std::string& what);
  Status FailRecord(const std::string& what);
  Status Start();
  Status Fill();  // replaces text_[0, text_len_) with the next decoded bytes; sets text_eof_
  Status ReadSource(char* buf, size_t n, size_t* got);
  // Advances through text_ from text_pos_; returns true when the current record closed at
  // text_pos_ - 1.
  Result<bool> Scan();
  Status SpillPartial();

  SequentialFile* source_;
  Limits limits_;
  std::string display_name_;
  Status error_;

  std::unique_ptr<char[]> text_;
  std::unique_ptr<char[]> in_;  // compressed input (gzip only)
  size_t text_len_ = 0;
  size_t text_pos_ = 0;
  bool started_ = false;
  bool text_eof_ = false;
  bool source_eof_ = false;
  std::unique_ptr<Inflater> inflater_;

  // Framing state.
  Frame frame_ = Frame::kUnknown;
  ArrayState array_state_ = ArrayState::kFirstOrEnd;
  bool in_record_ = false;
  bool in_string_ = false;
  bool escape_ = false;
  size_t record_start_ = 0;     // offset in text_ where the current record's bytes begin
  std::string partial_;         // bytes of the current record from earlier chunks
  std::vector<char> brackets_;  // open brackets of the current record

  uint64_t compressed_bytes_ = 0;
  uint64_t inflated_bytes_ = 0;
  uint64_t records_ = 0;
};

}  // namespace davault::format
