// The fake LiveEngage Data Access server: serves a directory of export files over loopback HTTP.
//
// It follows dataaccess-api.md §1–§3 and the interpretations of §8: OAuth 1.0a verified on every
// request (401 + XML internalCode 10), 400 + internalCode 5 for Accept: application/gzip or
// missing/invalid startTime/endTime, 404 + "No Available Files" for an empty window, hrefs on
// another host name than the one called, and a request log that tests read. Faults
// (faults.h) are the extension point for issue 6.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/oauth1.h"
#include "client/oauth2.h"
#include "davault/env.h"
#include "davault/status.h"
#include "fakeserver/faults.h"
#include "format/data_type.h"

namespace davault::fakeserver {

enum class FileShape {
  kArray,         // "file": [ ... ] always (the documented shape)
  kSingleObject,  // "file": { ... } when exactly one file matches (§8 #3)
};

enum class AuthMode {
  kOAuth1,  // every request OAuth 1.0a-signed (the documented scheme)
  kOAuth2,  // Bearer tokens from the fake's own Sentinel token endpoint
};

struct FakeServerConfig {
  std::string dir;  // files <Prefix>.<start>.<end>.part-NNNNN-k.gz in dir or one level below
  std::string account = "75555851";
  client::OAuth1Credentials credentials;
  AuthMode auth = AuthMode::kOAuth1;
  client::OAuth2Credentials oauth2;     // client_id/secret the token endpoint accepts (kOAuth2)
  int64_t token_lifetime_s = 3600;      // expires_in of issued tokens
  int64_t token_max_uses = 0;           // 0 = unlimited; else a token is refused after N requests
  std::string token_file;               // test-only: every issued token appended here, one a line
  std::string href_host = "localhost";  // host written into @href values
  FileShape shape = FileShape::kArray;
  std::set<format::DataType> disabled_types;
  std::string request_log;    // "" = no log; else one JSON line per request
  int64_t max_window_ms = 0;  // 0 = no limit; else wider windows get 400 internalCode 5
  int64_t max_skew_s = 300;   // OAuth timestamp window
  std::vector<FaultRule> faults;
};

class FakeServer {
 public:
  ~FakeServer();
  // Checks the configuration (the directory must be listable) and opens the request log.
  static Result<std::unique_ptr<FakeServer>> Create(Env* env, FakeServerConfig config);

  // Binds 127.0.0.1:port (0 = a free port) and starts listening; returns the port. Connections
  // made after this returns are queued until Run() serves them.
  Result<int> Bind(int port);
  // Serves until Stop(). Returns an error when the server could not run.
  Status Run();
  // Thread-safe; makes Run() return. Does nothing when the server is not running yet.
  void Stop();
  bool IsRunning() const;

 private:
  struct Impl;
  explicit FakeServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace davault::fakeserver
