// RecordReader: gzip members -> decoded text -> record boundaries, under the hostile-input limits.
#include "format/record_reader.h"

#include <zlib.h>

#include <cstring>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace davault::format {

namespace {

constexpr size_t kChunk = 256 << 10;
constexpr uint64_t kRatioCheckAfter = 1 << 20;

// Bytes that matter to the framing outside strings: the quote and the four brackets.
struct ByteTables {
  bool structural[256] = {};
  bool string_special[256] = {};
  constexpr ByteTables() {
    for (unsigned char c : {'"', '{', '}', '[', ']'}) structural[c] = true;
    for (unsigned char c : {'"', '\\'}) string_special[c] = true;
  }
};
constexpr ByteTables kTables;

// First index in [i, n) holding '"', '{', '}', '[' or ']'; n if none.
inline size_t FindStructural(const char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  // '[' | 0x20 == '{' and ']' | 0x20 == '}', so three compares cover five bytes.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i open = _mm_set1_epi8('{');
  const __m128i close = _mm_set1_epi8('}');
  const __m128i bit5 = _mm_set1_epi8(0x20);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i folded = _mm_or_si128(v, bit5);
    __m128i hit =
        _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                     _mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  for (; i < n; ++i) {
    if (kTables.structural[static_cast<unsigned char>(p[i])]) return i;
  }
  return n;
}

// First index in [i, n) holding '"' or '\\'; n if none.
inline size_t FindStringSpecial(const char* p, size_t i, size_t n) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    __m128i hit = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  for (; i < n; ++i) {
    if (kTables.string_special[static_cast<unsigned char>(p[i])]) return i;
  }
  return n;
}

inline bool IsJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

struct RecordReader::Inflater {
  z_stream strm{};
  bool initialized = false;
  bool member_done = false;
  uint64_t consumed = 0;  // compressed bytes zlib has taken, over all members
  ~Inflater() {
    if (initialized) inflateEnd(&strm);
  }
};

RecordReader::RecordReader(SequentialFile* source, Limits limits, std::string display_name)
    : source_(source), limits_(limits), display_name_(std::move(display_name)) {}

RecordReader::~RecordReader() = default;

Status RecordReader::Fail(const std::string& what) {
  error_ = Status::Failed(display_name_ + ": " + what);
  return error_;
}

Status RecordReader::FailRecord(const std::string& what) {
  return Fail("record " + std::to_string(records_ + 1) + " " + what);
}

Status RecordReader::ReadSource(char* buf, size_t n, size_t* got) {
  *got = 0;
  if (source_eof_) return Status::Ok();
  Result<size_t> r = source_->Read(buf, n);
  if (!r.ok()) return Fail("read failed: " + r.status().message());
  *got = r.value();
  compressed_bytes_ += *got;
  if (*got == 0) source_eof_ = true;
  return Status::Ok();
}

Status RecordReader::Start() {
  started_ = true;
  text_ = std::make_unique<char[]>(kChunk);
  size_t have = 0;
  while (have < 2 && !source_eof_) {
    size_t got = 0;
    DV_RETURN_IF_ERROR(ReadSource(text_.get() + have, kChunk - have, &got));
    have += got;
  }
  if (have >= 2 && static_cast<unsigned char>(text_[0]) == 0x1f &&
      static_cast<unsigned char>(text_[1]) == 0x8b) {
    in_ = std::move(text_);
    text_ = std::make_unique<char[]>(kChunk);
    inflater_ = std::make_unique<Inflater>();
    z_stream& s = inflater_->strm;
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) return Fail("cannot initialise zlib");
    inflater_->initialized = true;
    s.next_in = reinterpret_cast<Bytef*>(in_.get());
    s.avail_in = static_cast<uInt>(have);
    DV_RETURN_IF_ERROR(Fill());
  } else {
    text_len_ = have;
    inflated_bytes_ += have;
  }
  // A UTF-8 byte order mark is not part of the first record.
  if (text_len_ >= 3 && std::memcmp(text_.get(), "\xEF\xBB\xBF", 3) == 0) text_pos_ = 3;
  return Status::Ok();
}

Status RecordReader::Fill() {
  text_pos_ = 0;
  text_len_ = 0;
  if (!inflater_) {
    if (source_eof_) {
      text_eof_ = true;
      return Status::Ok();
    }
    size_t got = 0;
    DV_RETURN_IF_ERROR(ReadSource(text_.get(), kChunk, &got));
    text_len_ = got;
    inflated_bytes_ += got;
    if (got == 0) text_eof_ = true;
    return Status::Ok();
  }

  z_stream& s = inflater_->strm;
  s.next_out = reinterpret_cast<Bytef*>(text_.get());
  s.avail_out = static_cast<uInt>(kChunk);
  for (;;) {
    if (s.avail_in == 0 && !source_eof_) {
      size_t got = 0;
      DV_RETURN_IF_ERROR(ReadSource(in_.get(), kChunk, &got));
      s.next_in = reinterpret_cast<Bytef*>(in_.get());
      s.avail_in = static_cast<uInt>(got);
    }
    if (inflater_->member_done) {
      if (s.avail_in == 0) {
        if (source_eof_) {
          text_eof_ = true;
          break;
        }
        continue;
      }
      // More input after a member's trailer: the next gzip member (or garbage, which zlib
      // rejects as a bad header).
      inflateReset(&s);
      inflater_->member_done = false;
    }
    uInt in_before = s.avail_in;
    int rc = inflate(&s, Z_NO_FLUSH);
    inflater_->consumed += in_before - s.avail_in;
    if (rc == Z_STREAM_END) {
      inflater_->member_done = true;
    } else if (rc == Z_MEM_ERROR) {
      return Fail("out of memory while inflating");
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return Fail("corrupt gzip stream");
    }
    if (s.avail_out < kChunk) break;
    if (!inflater_->member_done && s.avail_in == 0 && source_eof_) {
      return Fail("truncated gzip stream");
    }
  }
  text_len_ = kChunk - s.avail_out;
  inflated_bytes_ += text_len_;
  if (inflated_bytes_ > limits_.max_inflated_bytes) {
    return Fail("inflated size exceeds the maximum of " +
                std::to_string(limits_.max_inflated_bytes) + " bytes (possible gzip bomb)");
  }
  if (inflated_bytes_ > kRatioCheckAfter) {
    uint64_t allowed = 0;
    if (__builtin_mul_overflow(inflater_->consumed, limits_.max_inflate_ratio, &allowed)) {
      allowed = UINT64_MAX;
    }
    if (inflated_bytes_ > allowed) {
      return Fail("inflated size exceeds " + std::to_string(limits_.max_inflate_ratio) +
                  " times the compressed size (possible gzip bomb)");
    }
  }
  return Status::Ok();
}

Status RecordReader::SpillPartial() {
  partial_.append(text_.get() + record_start_, text_len_ - record_start_);
  record_start_ = 0;
  if (partial_.size() > limits_.max_record_bytes) {
    return FailRecord("exceeds the maximum record size of " +
                      std::to_string(limits_.max_record_bytes) + " bytes");
  }
  return Status::Ok();
}

Result<bool> RecordReader::Scan() {
  const char* p = text_.get();
  size_t i = text_pos_;
  const size_t n = text_len_;
  while (i < n) {
    if (in_string_) {
      if (escape_) {
        escape_ = false;
        ++i;
        continue;
      }
      i = FindStringSpecial(p, i, n);
      if (i == n) break;
      if (p[i] == '\\') {
        if (i + 1 < n) {
          i += 2;
        } else {
          escape_ = true;
          i = n;
        }
        continue;
      }
      in_string_ = false;
      ++i;
      continue;
    }
    i = FindStructural(p, i, n);
    if (i == n) break;
    char c = p[i++];
    switch (c) {
      case '"':
        in_string_ = true;
        break;
      case '{':
      case '[':
        if (brackets_.size() >= static_cast<size_t>(limits_.max_depth)) {
          return FailRecord("is nested deeper than the maximum of " +
                            std::to_string(limits_.max_depth) + " levels");
        }
        brackets_.push_back(c);
        break;
      default: {  // '}' or ']'
        char open = c == '}' ? '{' : '[';
        if (brackets_.empty() || brackets_.back() != open) {
          return FailRecord("is not valid JSON");
        }
        brackets_.pop_back();
        if (brackets_.empty()) {
          text_pos_ = i;
          return true;
        }
        break;
      }
    }
  }
  text_pos_ = n;
  return false;
}

Result<bool> RecordReader::Next(std::string_view* raw_record) {
  if (!error_.ok()) return error_;
  if (!started_) DV_RETURN_IF_ERROR(Start());
  partial_.clear();
  for (;;) {
    if (text_pos_ == text_len_) {
      if (in_record_) DV_RETURN_IF_ERROR(SpillPartial());
      if (text_eof_) {
        if (in_record_ || (frame_ == Frame::kArray && array_state_ != ArrayState::kClosed)) {
          return FailRecord("is not valid JSON");
        }
        return false;
      }
      DV_RETURN_IF_ERROR(Fill());
      continue;
    }
    if (!in_record_) {
      // Between records: whitespace, and in a top-level array the commas and the brackets.
      const char* p = text_.get();
      while (text_pos_ < text_len_ && IsJsonSpace(p[text_pos_])) ++text_pos_;
      if (text_pos_ == text_len_) continue;
      char c = p[text_pos_];
      bool opens = c == '{' || c == '[';
      if (frame_ == Frame::kUnknown) {
        if (c == '[') {
          frame_ = Frame::kArray;
          ++text_pos_;
          continue;
        }
        frame_ = Frame::kStream;
      }
      if (frame_ == Frame::kArray) {
        switch (array_state_) {
          case ArrayState::kFirstOrEnd:
            if (c == ']') {
              array_state_ = ArrayState::kClosed;
              ++text_pos_;
              continue;
            }
            break;
          case ArrayState::kCommaOrEnd:
            if (c == ',' || c == ']') {
              array_state_ = c == ',' ? ArrayState::kElement : ArrayState::kClosed;
              ++text_pos_;
              continue;
            }
            opens = false;
            break;
          case ArrayState::kElement:
            break;
          case ArrayState::kClosed:
            opens = false;
            break;
        }
        if (opens) array_state_ = ArrayState::kCommaOrEnd;
      }
      if (!opens) return FailRecord("is not valid JSON");
      in_record_ = true;
      in_string_ = false;
      escape_ = false;
      brackets_.clear();
      record_start_ = text_pos_;
    }
    DV_ASSIGN_OR_RETURN(bool closed, Scan());
    if (!closed) continue;
    in_record_ = false;
    size_t tail = text_pos_ - record_start_;
    if (partial_.size() + tail > limits_.max_record_bytes) {
      return FailRecord("exceeds the maximum record size of " +
                        std::to_string(limits_.max_record_bytes) + " bytes");
    }
    if (partial_.empty()) {
      *raw_record = std::string_view(text_.get() + record_start_, tail);
    } else {
      partial_.append(text_.get() + record_start_, tail);
      *raw_record = partial_;
    }
    ++records_;
    return true;
  }
}

}  // namespace davault::format
