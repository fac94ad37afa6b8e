// Compact JSON writer with Avro union helpers, appending to a caller-owned buffer (no DOM).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace davault::gen {

// Appends the JSON string escape of s (without quotes): quote, backslash and control characters;
// UTF-8 passes through unchanged, as LivePerson's files carry it.
void AppendEscaped(std::string& out, std::string_view s);

// Generating gigabytes through a JSON DOM is several times slower than the rest of the
// generator put together, so records are written token by token. Keys are literals of the
// Data Access schema and are written without escaping.
class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}

  void BeginObject() {
    Prefix();
    out_ += '{';
    Push();
  }
  void EndObject() {
    out_ += '}';
    --depth_;
  }
  void BeginArray() {
    Prefix();
    out_ += '[';
    Push();
  }
  void EndArray() {
    out_ += ']';
    --depth_;
  }

  JsonOut& Key(std::string_view key) {
    Prefix();
    out_ += '"';
    out_ += key;
    out_ += "\":";
    after_key_ = true;
    return *this;
  }

  void String(std::string_view s) {
    Prefix();
    out_ += '"';
    AppendEscaped(out_, s);
    out_ += '"';
  }
  void Int(int64_t v) {
    Prefix();
    AppendInt(v);
  }
  void Bool(bool v) {
    Prefix();
    out_ += v ? "true" : "false";
  }
  void Null() {
    Prefix();
    out_ += "null";
  }
  // A number already in its JSON spelling (doubles are written as the samples write them).
  void Number(std::string_view text) {
    Prefix();
    out_ += text;
  }

  // Avro unions: {"string":"..."}, {"long":1}, {"int":1}, {"boolean":true}, {"double":-1}.
  void UString(std::string_view s) {
    Prefix();
    out_ += "{\"string\":\"";
    AppendEscaped(out_, s);
    out_ += "\"}";
  }
  void ULong(int64_t v) { UNumber("{\"long\":", v); }
  void UInt(int64_t v) { UNumber("{\"int\":", v); }
  void UBool(bool v) {
    Prefix();
    out_ += v ? "{\"boolean\":true}" : "{\"boolean\":false}";
  }
  void UDouble(std::string_view text) {
    Prefix();
    out_ += "{\"double\":";
    out_ += text;
    out_ += '}';
  }
  // A named enum branch: {"com.liveperson.dataaccess.ConversationType":"LIVE_CHAT"}.
  void UEnum(std::string_view type, std::string_view value) {
    Prefix();
    out_ += "{\"";
    out_ += type;
    out_ += "\":\"";
    AppendEscaped(out_, value);
    out_ += "\"}";
  }
  // Opens {"<branch>": and the record inside it; EndUnionRecord closes both.
  void BeginUnionRecord(std::string_view branch) {
    BeginObject();
    Key(branch);
    BeginObject();
  }
  void EndUnionRecord() {
    EndObject();
    EndObject();
  }
  // Opens {"array":[ ... ]} for a nullable array; EndUnionArray closes it.
  void BeginUnionArray() {
    BeginObject();
    Key("array");
    BeginArray();
  }
  void EndUnionArray() {
    EndArray();
    EndObject();
  }

  std::string& buffer() { return out_; }

 private:
  void Prefix() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (need_comma_[depth_]) out_ += ',';
    need_comma_[depth_] = true;
  }
  void Push() {
    ++depth_;
    need_comma_[depth_] = false;
  }
  void AppendInt(int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, r.ptr);
  }
  void UNumber(std::string_view open, int64_t v) {
    Prefix();
    out_ += open;
    AppendInt(v);
    out_ += '}';
  }

  static constexpr int kMaxDepth = 48;
  std::string& out_;
  int depth_ = 0;
  bool after_key_ = false;
  bool need_comma_[kMaxDepth] = {};
};

}  // namespace davault::gen
