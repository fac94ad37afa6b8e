// davault-fakeserver: command line, credentials, port file and signal-driven graceful shutdown.
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string_view>
#include <thread>

#include "client/credentials.h"
#include "fakeserver/fake_server.h"

namespace {

using davault::Env;
using davault::Status;
using namespace davault::fakeserver;

int Fail(const Status& s) {
  std::fprintf(stderr, "davault-fakeserver: %s\n", s.message().c_str());
  return s.exit_code();
}

int Main(int argc, char** argv) {
  CLI::App app{"Fake LiveEngage Data Access server for davault's tests and demo (loopback only)"};
  FakeServerConfig config;
  int port = 0;
  std::string port_file, credentials_file, disabled, faults_file;
  bool single_object = false;
  app.add_option("--dir", config.dir, "directory of <Prefix>.<start>.<end>.part-NNNNN-k.gz files")
      ->required()
      ->check(CLI::ExistingDirectory);
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0 = pick a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--port-file", port_file, "write the port here once listening");
  app.add_option("--account", config.account, "account (site) id served")->capture_default_str();
  app.add_option("--credentials", credentials_file,
                 "JSON or KEY=VALUE file with LP_APP_KEY, LP_APP_SECRET, LP_ACCESS_TOKEN, "
                 "LP_ACCESS_TOKEN_SECRET (default: those environment variables)");
  app.add_option("--href-host", config.href_host, "host name written into @href values")
      ->capture_default_str();
  app.add_flag("--single-object", single_object,
               "emit \"file\" as an object when exactly one file matches");
  app.add_option("--disabled-types", disabled,
                 "comma-separated data types that are not enabled (e.g. engagement,survey)");
  app.add_option("--request-log", config.request_log, "append one JSON line per request here");
  app.add_option("--max-window-ms", config.max_window_ms,
                 "refuse wider listing windows with 400 (0 = no limit)")
      ->capture_default_str();
  app.add_option("--max-skew-s", config.max_skew_s, "allowed OAuth timestamp skew in seconds")
      ->capture_default_str();
  app.add_option("--faults", faults_file, "JSON fault rules (see README.md)");
  std::string auth = "oauth1";
  app.add_option("--auth", auth,
                 "oauth1 (signed requests) or oauth2 (Bearer tokens from the token endpoint; "
                 "credentials LP_CLIENT_ID, LP_CLIENT_SECRET)")
      ->check(CLI::IsMember({"oauth1", "oauth2"}))
      ->capture_default_str();
  app.add_option("--token-lifetime-s", config.token_lifetime_s,
                 "oauth2: expires_in of issued tokens")
      ->check(CLI::Range(int64_t{1}, int64_t{86400 * 365}))
      ->capture_default_str();
  app.add_option("--token-max-uses", config.token_max_uses,
                 "oauth2: refuse a token after this many requests (0 = no limit)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--token-file", config.token_file,
                 "oauth2, test-only: append every issued token here");
  CLI11_PARSE(app, argc, argv);

  if (single_object) config.shape = FileShape::kSingleObject;
  Env* env = Env::Default();
  for (std::string_view rest = disabled; !rest.empty();) {
    size_t comma = rest.find(',');
    std::string name(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    auto type = davault::format::ParseDataType(name);
    if (!type) return Fail(Status::Usage("--disabled-types: unknown data type " + name));
    config.disabled_types.insert(*type);
  }
  if (auth == "oauth2") {
    config.auth = AuthMode::kOAuth2;
    auto creds = davault::client::LoadOAuth2Credentials(
        env, credentials_file, davault::client::CredentialsFileMode::kAnyMode);
    if (!creds.ok()) return Fail(creds.status());
    config.oauth2 = creds.value();
  } else {
    auto creds = davault::client::LoadOAuth1Credentials(
        env, credentials_file, davault::client::CredentialsFileMode::kAnyMode);
    if (!creds.ok()) return Fail(creds.status());
    config.credentials = creds.value();
  }
  if (!faults_file.empty()) {
    auto rules = FaultPlan::Load(env, faults_file);
    if (!rules.ok()) return Fail(rules.status());
    config.faults = std::move(rules).value();
  }

  // Block the stop signals in every thread (the server's workers inherit this mask) so that
  // only the sigwait() below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto server = FakeServer::Create(env, std::move(config));
  if (!server.ok()) return Fail(server.status());
  auto bound = server.value()->Bind(port);
  if (!bound.ok()) return Fail(bound.status());
  if (!port_file.empty()) {
    Status s =
        davault::WriteFileAtomically(env, port_file, std::to_string(bound.value()) + "\n", 0644);
    if (!s.ok()) return Fail(s);
  }
  std::fprintf(stderr, "davault-fakeserver: listening on http://127.0.0.1:%d\n", bound.value());

  std::atomic<bool> finished{false};
  Status run_status;
  std::thread runner([&] {
    run_status = server.value()->Run();
    finished = true;
    kill(getpid(), SIGTERM);  // wake the sigwait below if the server stopped on its own
  });
  int sig = 0;
  sigwait(&stop_signals, &sig);
  // Stop() is a no-op until the listener runs, so keep asking until the runner is done.
  while (!finished) {
    server.value()->Stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  runner.join();
  if (!run_status.ok()) return Fail(run_status);
  std::fprintf(stderr, "davault-fakeserver: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
