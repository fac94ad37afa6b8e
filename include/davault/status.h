// Status and Result: how every davault module reports success or failure, with the CLI exit code.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace davault {

// Codes map one-to-one onto the exit codes of the command-line contract (shared/CLI.md).
enum class Code : int {
  kOk = 0,
  kFailed = 1,        // I/O, network, bad data; archive unchanged or consistently rolled forward
  kUsage = 2,         // bad command line
  kVerifyFailed = 3,  // integrity, audit chain or residue problem found
  kRefused = 4,       // a safety rule refused; nothing changed
  kBusy = 5,          // another process holds the archive
  kAttention = 6,     // a request is overdue
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status Failed(std::string m) { return Status(Code::kFailed, std::move(m)); }
  static Status Usage(std::string m) { return Status(Code::kUsage, std::move(m)); }
  static Status VerifyFailed(std::string m) { return Status(Code::kVerifyFailed, std::move(m)); }
  static Status Refused(std::string m) { return Status(Code::kRefused, std::move(m)); }
  static Status Busy(std::string m) { return Status(Code::kBusy, std::move(m)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int exit_code() const { return static_cast<int>(code_); }
  const std::string& message() const { return message_; }

  // Adds context in front of the message ("file X: " + message), keeping the code.
  Status Context(const std::string& prefix) const {
    if (ok()) return *this;
    return Status(code_, prefix + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace davault

#define DV_CONCAT_INNER(a, b) a##b
#define DV_CONCAT(a, b) DV_CONCAT_INNER(a, b)

#define DV_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::davault::Status dv_status_ = (expr);  \
    if (!dv_status_.ok()) return dv_status_; \
  } while (0)

#define DV_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define DV_ASSIGN_OR_RETURN(lhs, expr) \
  DV_ASSIGN_OR_RETURN_IMPL(DV_CONCAT(dv_result_, __LINE__), lhs, expr)
