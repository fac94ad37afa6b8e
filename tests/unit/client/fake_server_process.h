// Test helper: runs davault-fakeserver as a subprocess on an ephemeral port and stops it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/oauth1.h"

namespace davault::client::testing {

// The API key the helper gives the fake server. The values need percent-encoding on purpose.
const OAuth1Credentials& TestCredentials();

// The sample Data Access files: $DAVAULT_SAMPLES_DIR, else
// $DAVAULT_SOURCE_DIR/tests/data/samples/files, else /work/shared/samples/files.
std::string SamplesDir();

std::string MakeTempDir();

// A temp directory removed, with its contents, when this goes out of scope.
class ScopedTempDir {
 public:
  ScopedTempDir() : path_(MakeTempDir()) {}
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
std::string ReadFile(const std::string& path);

enum class CredentialsArg { kFile, kNone };

class FakeServerProcess {
 public:
  // Starts the server on `dir` with a credentials file (unless kNone), a port file and a
  // request log in a fresh temp dir, plus `extra_args`; waits until it listens. Null (with
  // *error) on failure.
  static std::unique_ptr<FakeServerProcess> Start(const std::string& dir,
                                                  const std::vector<std::string>& extra_args,
                                                  std::string* error,
                                                  CredentialsArg creds = CredentialsArg::kFile);
  ~FakeServerProcess();

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& temp_dir() const { return temp_dir_; }
  std::string request_log_path() const { return temp_dir_ + "/requests.jsonl"; }
  // Every request-log line so far, parsed. The server writes a request's line before it
  // answers, so a request that has its response is already in here.
  std::vector<nlohmann::json> RequestLog() const;
  // The last line, or a null JSON value when there is none yet.
  nlohmann::json LastRequest() const;
  // SIGTERM, then waits; returns the exit code, or -1 when it did not exit normally.
  int Stop();

 private:
  FakeServerProcess() = default;
  pid_t pid_ = -1;
  int port_ = 0;
  ScopedTempDir temp_dir_holder_;
  std::string temp_dir_ = temp_dir_holder_.path();
};

}  // namespace davault::client::testing
