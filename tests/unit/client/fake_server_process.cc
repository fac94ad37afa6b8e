// Starting and stopping the fake server binary with posix_spawn, waiting on its port file.
#include "fake_server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace davault::client::testing {

const OAuth1Credentials& TestCredentials() {
  static const OAuth1Credentials kCreds{"test-app-key+7f3a", "test-app-secret/Q9x!",
                                        "test-token=22b", "test-token-secret&Zz8"};
  return kCreds;
}

std::string SamplesDir() {
  std::vector<std::string> candidates;
  if (const char* d = std::getenv("DAVAULT_SAMPLES_DIR")) candidates.push_back(d);
  if (const char* s = std::getenv("DAVAULT_SOURCE_DIR")) {
    candidates.push_back(std::string(s) + "/tests/data/samples/files");
  }
  candidates.push_back("/work/shared/samples/files");
  for (const std::string& c : candidates) {
    if (::access((c + "/Agent.1465992000000.1465995600000.part-00000-0.gz").c_str(), R_OK) == 0) {
      return c;
    }
  }
  return {};
}

std::string MakeTempDir() {
  char tmpl[] = "/tmp/davault-client-test-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "";
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ignored;
  if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<FakeServerProcess> FakeServerProcess::Start(
    const std::string& dir, const std::vector<std::string>& extra_args, std::string* error,
    CredentialsArg creds_arg) {
  std::unique_ptr<FakeServerProcess> p(new FakeServerProcess());
  const OAuth1Credentials& c = TestCredentials();
  {
    std::ofstream creds(p->temp_dir_ + "/credentials");
    creds << "LP_APP_KEY=" << c.consumer_key << "\nLP_APP_SECRET=" << c.consumer_secret
          << "\nLP_ACCESS_TOKEN=" << c.token << "\nLP_ACCESS_TOKEN_SECRET=" << c.token_secret
          << "\n";
  }
  const std::string port_file = p->temp_dir_ + "/port";
  std::vector<std::string> args = {DAVAULT_FAKESERVER_BIN,
                                   "--dir",
                                   dir,
                                   "--port",
                                   "0",
                                   "--port-file",
                                   port_file,
                                   "--request-log",
                                   p->request_log_path()};
  if (creds_arg == CredentialsArg::kFile) {
    args.push_back("--credentials");
    args.push_back(p->temp_dir_ + "/credentials");
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const std::string err_path = p->temp_dir_ + "/stderr";
  // fork+exec rather than posix_spawn for PR_SET_PDEATHSIG: a test killed by a timeout must not
  // leave a server behind holding the runner's pipes. Only async-signal-safe calls in the child.
  pid_t pid = ::fork();
  if (pid < 0) {
    *error = "fork failed";
    return nullptr;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null = ::open("/dev/null", O_RDWR);
    if (err >= 0) ::dup2(err, 2);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  p->pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      *error = "fake server exited early: " + ReadFile(err_path);
      return nullptr;
    }
    std::string text = ReadFile(port_file);
    if (!text.empty() && text.back() == '\n') {
      p->port_ = std::atoi(text.c_str());
      return p;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  *error = "fake server did not write its port file in time";
  return nullptr;  // the destructor kills it
}

FakeServerProcess::~FakeServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

int FakeServerProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (r < 0 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::vector<nlohmann::json> FakeServerProcess::RequestLog() const {
  std::vector<nlohmann::json> lines;
  std::istringstream in(ReadFile(request_log_path()));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line, nullptr, false));
  }
  return lines;
}

nlohmann::json FakeServerProcess::LastRequest() const {
  std::vector<nlohmann::json> lines = RequestLog();
  return lines.empty() ? nlohmann::json() : lines.back();
}

}  // namespace davault::client::testing
