// pull: list and download Data Access files window by window, ingest each one, and move the
// per-type cursor only past windows that were listed and ingested completely.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "audit/log.h"
#include "base/time.h"
#include "client/credentials.h"
#include "client/dataaccess.h"
#include "client/oauth1.h"
#include "client/oauth2.h"
#include "compliance/common.h"
#include "compliance/ingest.h"
#include "format/data_type.h"

namespace davault::compliance {
namespace {

void PutU32(std::string* s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A download in progress lands in a spool file sealed with crypto_secretstream under a key
// that exists only in this process: nothing of the file is ever on disk in the clear.
class Spool {
 public:
  static Result<std::unique_ptr<Spool>> Create(Env* env, const std::string& dir,
                                               const crypto::HashStream& proto) {
    (void)proto;
    std::unique_ptr<Spool> s(new Spool(env));
    std::string rnd(8, '\0');
    env->RandomBytes(rnd.data(), rnd.size());
    s->path_ = JoinPath(dir, crypto::ToHex(rnd) + ".spool");
    DV_ASSIGN_OR_RETURN(s->file_, env->NewWritable(s->path_, CreateMode::kExclusive, 0600));
    s->sealer_ = std::make_unique<crypto::StreamSealer>(s->key_);
    DV_RETURN_IF_ERROR(s->file_->Append(s->sealer_->header()));
    return s;
  }
  ~Spool() {
    file_.reset();
    (void)env_->Remove(path_);
  }
  Status Write(std::string_view data, crypto::HashStream* hash) {
    hash->Update(data);
    bytes_ += data.size();
    buf_.append(data);
    if (buf_.size() >= kChunk) return FlushChunk(false);
    return Status::Ok();
  }
  Status Finish() {
    DV_RETURN_IF_ERROR(FlushChunk(true));
    return file_->Close();
  }
  uint64_t bytes() const { return bytes_; }

  // Reads the spool back, decrypting chunk by chunk.
  class Reader : public SequentialFile {
   public:
    Reader(std::unique_ptr<SequentialFile> f, std::unique_ptr<crypto::StreamOpener> o)
        : f_(std::move(f)), o_(std::move(o)) {}
    Result<size_t> Read(char* out, size_t n) override {
      while (pos_ >= plain_.size()) {
        if (final_) return size_t{0};
        std::string hdr;
        DV_RETURN_IF_ERROR(ReadExactly(4, &hdr));
        uint32_t len = 0;
        for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(hdr[i]);
        std::string sealed;
        DV_RETURN_IF_ERROR(ReadExactly(len, &sealed));
        DV_ASSIGN_OR_RETURN(plain_, o_->Pull(sealed, &final_));
        pos_ = 0;
      }
      size_t k = std::min(n, plain_.size() - pos_);
      std::copy_n(plain_.data() + pos_, k, out);
      pos_ += k;
      return k;
    }

   private:
    Status ReadExactly(size_t n, std::string* out) {
      out->resize(n);
      size_t got = 0;
      while (got < n) {
        DV_ASSIGN_OR_RETURN(size_t r, f_->Read(out->data() + got, n - got));
        if (r == 0) return Status::Failed("spool file is truncated");
        got += r;
      }
      return Status::Ok();
    }
    std::unique_ptr<SequentialFile> f_;
    std::unique_ptr<crypto::StreamOpener> o_;
    std::string plain_;
    size_t pos_ = 0;
    bool final_ = false;
  };

  Result<std::unique_ptr<SequentialFile>> Open() {
    DV_ASSIGN_OR_RETURN(auto f, env_->OpenSequential(path_));
    std::string header(crypto::StreamSealer::kHeaderSize, '\0');
    size_t got = 0;
    while (got < header.size()) {
      DV_ASSIGN_OR_RETURN(size_t r, f->Read(header.data() + got, header.size() - got));
      if (r == 0) return Status::Failed("spool file is truncated");
      got += r;
    }
    DV_ASSIGN_OR_RETURN(auto opener, crypto::StreamOpener::Create(key_, header));
    return std::unique_ptr<SequentialFile>(new Reader(std::move(f), std::move(opener)));
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  explicit Spool(Env* env) : env_(env), key_(crypto::Key::Random()) {}
  Status FlushChunk(bool final) {
    std::string sealed = sealer_->Push(buf_, final);
    std::fill(buf_.begin(), buf_.end(), '\0');
    buf_.clear();
    std::string frame;
    PutU32(&frame, static_cast<uint32_t>(sealed.size()));
    DV_RETURN_IF_ERROR(file_->Append(frame));
    return file_->Append(sealed);
  }
  Env* env_;
  crypto::Key key_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  std::unique_ptr<crypto::StreamSealer> sealer_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

// A download's spool and the content hash of the bytes in it; replaced whole when the server
// restarts the body from byte 0.
struct Spooled {
  explicit Spooled(store::Archive& a) : hash(a.NewContentHash()) {}
  crypto::HashStream hash;
  crypto::Sha256Stream sha256;  // of the same bytes, to compare with the server's Repr-Digest
  std::unique_ptr<Spool> spool;
  std::string sha256_hex;       // set once the download is complete
  bool digest_checked = false;  // the server gave a SHA-256 and it matched
};

Result<std::unique_ptr<Spooled>> NewSpooled(Env* env, store::Archive& a) {
  auto d = std::make_unique<Spooled>(a);
  DV_ASSIGN_OR_RETURN(d->spool, Spool::Create(env, a.TempDir(), d->hash));
  return d;
}

// What a pull has done so far: files, bytes, rate and ETA. On a terminal (ctx.progress set) one
// line is redrawn in place as bytes arrive (at most every 250 ms); otherwise a plain log line
// after each window that had files to fetch. Thread-safe: downloads add bytes from their threads.
class Progress {
 public:
  using Out = std::function<void(const std::string&)>;
  Progress(Env* clock, Out tty_line, Out log)
      : clock_(clock),
        tty_(std::move(tty_line)),
        log_(std::move(log)),
        start_ms_(clock->NowMillis()) {}

  void Queued(int64_t files) {
    std::lock_guard<std::mutex> lock(mu_);
    total_ += files;
  }
  void Bytes(size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    bytes_ += static_cast<int64_t>(n);
    if (tty_ && clock_->NowMillis() - drawn_ms_ >= 250) Draw();
  }
  void FileDone(bool ok) {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
    if (!ok) ++failed_;
    if (tty_) Draw();
  }
  void WindowDone(size_t fetched) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tty_ && fetched > 0 && log_) log_(Line());
  }
  // The last word, as a plain line in both modes (on a terminal it replaces the live line).
  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!log_) return;
    const int64_t ms = std::max<int64_t>(clock_->NowMillis() - start_ms_, 0);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f s", static_cast<double>(ms) / 1000.0);
    std::string line = "pull: done: " + std::to_string(done_) + " files";
    if (failed_ > 0) line += " (" + std::to_string(failed_) + " failed)";
    line += ", " + HumanBytes(bytes_) + " in " + secs;
    if (ms > 0) line += " (" + HumanBytes(bytes_ * 1000 / ms) + "/s)";
    log_(line);
  }

 private:
  static std::string HumanBytes(int64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) {
      v /= 1024;
      ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
  }
  std::string Line() const {
    const int64_t ms = clock_->NowMillis() - start_ms_;
    std::string line = "pull: " + std::to_string(done_) + "/" + std::to_string(total_) +
                       " files, " + HumanBytes(bytes_) + ", ";
    line += ms > 0 ? HumanBytes(bytes_ * 1000 / ms) + "/s" : std::string("- B/s");
    // The rest at the pace of the files done so far; unknown before the first one.
    if (done_ > 0 && total_ >= done_) {
      const int64_t eta_s = (ms * (total_ - done_) / done_ + 999) / 1000;
      line += ", ETA " + std::to_string(eta_s / 60) + ":" + (eta_s % 60 < 10 ? "0" : "") +
              std::to_string(eta_s % 60);
    } else {
      line += ", ETA ?";
    }
    return line;
  }
  void Draw() {
    drawn_ms_ = clock_->NowMillis();
    tty_(Line());
  }

  Env* clock_;
  Out tty_, log_;
  const int64_t start_ms_;
  std::mutex mu_;
  int64_t total_ = 0, done_ = 0, failed_ = 0, bytes_ = 0, drawn_ms_ = 0;
};

// Downloads one file completely into a sealed spool; nothing is ingested from here.
Result<std::unique_ptr<Spooled>> Fetch(Env* env, store::Archive& a, client::DataAccessClient& dac,
                                       const client::ListedFile& f, Progress* progress) {
  DV_ASSIGN_OR_RETURN(auto d, NewSpooled(env, a));
  client::DownloadSink sink;
  sink.write = [&](std::string_view chunk) {
    progress->Bytes(chunk.size());
    d->sha256.Update(chunk);
    return d->spool->Write(chunk, &d->hash);
  };
  std::string repr_digest;
  sink.repr_digest = &repr_digest;
  sink.reset = [&]() -> Status {
    d.reset();  // removes the partial spool before the new one exists
    DV_ASSIGN_OR_RETURN(d, NewSpooled(env, a));
    return Status::Ok();
  };
  DV_RETURN_IF_ERROR(dac.Download(f, sink));
  DV_RETURN_IF_ERROR(d->spool->Finish());
  const auto sha = d->sha256.Final();
  d->sha256_hex = crypto::ToHex(sha);
  // The Data Access API sends no digest; a server (or proxy) that does is held to it.
  if (auto want = client::ReprDigestSha256(repr_digest)) {
    if (!crypto::Equal(*want, crypto::AsView(sha))) {
      return Status::Failed("download of " + f.name +
                            ": the SHA-256 of the bytes received differs from the server's "
                            "Repr-Digest; not ingested");
    }
    d->digest_checked = true;
  }
  return d;
}

// Runs fetch(i) for i in [0, n) on up to `parallel` threads and hands the results out in
// order. Workers stay at most 2 * parallel files ahead of the consumer, which bounds the spool
// space held at once. The destructor stops handing out work and joins the threads.
class Fetcher {
 public:
  using Fetched = Result<std::unique_ptr<Spooled>>;
  Fetcher(int parallel, size_t n, std::function<Fetched(size_t)> fetch)
      : fetch_(std::move(fetch)), ahead_(2 * static_cast<size_t>(parallel)) {
    slots_.resize(n);
    size_t threads = std::min<size_t>(static_cast<size_t>(std::max(parallel, 1)), n);
    for (size_t t = 0; t < threads; ++t) workers_.emplace_back([this] { Work(); });
  }
  ~Fetcher() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Waits for file i (called with i = 0, 1, 2, ... in turn).
  Fetched Take(size_t i) {
    std::unique_lock<std::mutex> lock(mu_);
    consumed_ = i;
    cv_.notify_all();
    cv_.wait(lock, [&] { return slots_[i].has_value(); });
    Fetched r = std::move(*slots_[i]);
    slots_[i].reset();
    consumed_ = i + 1;
    cv_.notify_all();
    return r;
  }

 private:
  void Work() {
    for (;;) {
      size_t i;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock,
                 [&] { return stop_ || next_ >= slots_.size() || next_ < consumed_ + ahead_; });
        if (stop_ || next_ >= slots_.size()) return;
        i = next_++;
      }
      Fetched r = fetch_(i);
      {
        std::lock_guard<std::mutex> lock(mu_);
        slots_[i].emplace(std::move(r));
      }
      cv_.notify_all();
    }
  }

  std::function<Fetched(size_t)> fetch_;
  const size_t ahead_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::optional<Fetched>> slots_;
  size_t next_ = 0, consumed_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// Data Access files are kept for 30 days after their creation (dataaccess-api.md).
constexpr int64_t kLivePersonKeepsMs = 30 * kMillisPerDay;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Outcome Pull(Context& ctx, const PullOptions& opts) {
  // Downloads log retries from their own threads while ingest logs from this one, and on a
  // terminal both share stderr with the live progress line: every line goes through one mutex.
  // ctx.log itself is swapped for the locked version (the Ingester logs through ctx) and put
  // back on return.
  auto log_mu = std::make_shared<std::mutex>();
  struct RestoreLog {
    Context& ctx;
    std::function<void(const std::string&)> saved;
    ~RestoreLog() { ctx.log = std::move(saved); }
  } restore_log{ctx, ctx.log};
  if (ctx.log) {
    ctx.log = [inner = ctx.log, log_mu](const std::string& line) {
      std::lock_guard<std::mutex> lock(*log_mu);
      inner(line);
    };
  }
  const std::function<void(const std::string&)> log = ctx.log;
  Outcome out;
  Json& res = out.result;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return out;
  };
  if (opts.account.empty()) return fail(Status::Usage("pull needs --account ID"));
  Status s = client::ValidateBaseUrl(opts.base_url);
  if (!s.ok()) return fail(s);
  std::vector<format::DataType> types;
  if (opts.types.empty()) {
    types.assign(std::begin(format::kAllDataTypes), std::end(format::kAllDataTypes));
  } else {
    for (const auto& t : opts.types) {
      auto dt = format::ParseDataType(t);
      if (!dt)
        return fail(Status::Usage("unknown data type '" + t +
                                  "' in --types (use agentActivity, webSession, engagement, "
                                  "survey)"));
      if (std::find(types.begin(), types.end(), *dt) == types.end()) types.push_back(*dt);
    }
  }
  Env* net = ctx.network_env != nullptr ? ctx.network_env : ctx.env;
  std::unique_ptr<client::AuthProvider> auth;
  client::OAuth2Provider* oauth2 = nullptr;
  if (opts.auth == "oauth2") {
    if (Status u = client::ValidateBaseUrl(opts.auth_url); !u.ok())
      return fail(Status::Usage("--auth-url: " + u.message()));
    auto creds = client::LoadOAuth2Credentials(ctx.env, opts.credentials_file,
                                               client::CredentialsFileMode::kRequirePrivate);
    if (!creds.ok()) return fail(creds.status());
    client::HttpOptions hopts;
    hopts.ca_file = opts.ca_file;
    auto p = std::make_unique<client::OAuth2Provider>(net, opts.auth_url, creds.value(), hopts);
    oauth2 = p.get();
    auth = std::move(p);
  } else if (opts.auth == "oauth1") {
    auto creds = client::LoadOAuth1Credentials(ctx.env, opts.credentials_file,
                                               client::CredentialsFileMode::kRequirePrivate);
    if (!creds.ok()) return fail(creds.status());
    auth = std::make_unique<client::OAuth1Provider>(net, creds.value());
  } else {
    return fail(Status::Usage("--auth must be oauth1 or oauth2"));
  }
  auto opened = OpenArchive(ctx, store::Access::kWrite);
  if (!opened.ok()) return fail(opened.status());
  store::Archive& a = *opened.value();
  auto ing = Ingester::Create(ctx, &a);
  if (!ing.ok()) return fail(ing.status());
  // Downloads log retries from their own threads; stderr lines must not interleave.
  Progress::Out tty_line;
  if (ctx.progress) {
    tty_line = [&ctx, log_mu](const std::string& line) {
      std::lock_guard<std::mutex> lock(*log_mu);
      ctx.progress(line);
    };
  }
  Progress progress(net, tty_line, log);
  client::ClientOptions copts;
  copts.ca_file = opts.ca_file;
  copts.log = log;
  client::DataAccessClient dac(net, opts.base_url, opts.account, std::move(auth), copts);
  int64_t now = ctx.env->NowMillis();
  int64_t end = opts.to_ms.value_or(now - opts.lag_ms);
  IngestCounters c;
  Json per_type = Json::object();
  Status first_error;
  // A listing of 100,000 failing files must not hold 100,000 messages (memory stays bounded):
  // the first kMaxErrorDetails are kept and shown, the rest counted; files_failed names all.
  constexpr size_t kMaxErrorDetails = 100;
  int64_t errors_total = 0;
  Json failed_details = Json::array();
  // Per downloaded and ingested file: its size and SHA-256 (bounded like the error details).
  constexpr size_t kMaxDownloadDetails = 100000;
  Json downloads = Json::array();  // per failed file: days left before LivePerson deletes it
  auto note_error = [&](const Status& e) {
    ++errors_total;
    if (c.errors.size() < kMaxErrorDetails) c.errors.push_back({{"error", e.message()}});
    if (first_error.ok()) first_error = e;
  };
  for (format::DataType type : types) {
    uint8_t t = static_cast<uint8_t>(type);
    auto cursor = a.Cursor(t);
    if (!cursor.ok()) return fail(cursor.status());
    int64_t start;
    if (opts.from_ms)
      start = *opts.from_ms;
    else if (cursor.value())
      start = *cursor.value() - opts.overlap_ms;  // re-scan: late files are dated in the past
    else
      start = now - 30 * kMillisPerDay;  // first run: everything LivePerson still keeps
    int64_t listed = 0, windows = 0;
    bool complete = true;
    std::optional<int64_t> advanced;
    for (int64_t ws = start; ws < end;) {
      int64_t we = std::min(ws + opts.window_ms, end);
      ++windows;
      auto files = dac.List(type, ws, we);
      if (!files.ok()) {
        note_error(files.status());
        complete = false;
        break;
      }
      listed += static_cast<int64_t>(files.value().size());
      bool window_ok = true;
      // Known names are skipped before anything is fetched; a name listed twice is fetched once.
      std::vector<const client::ListedFile*> todo;
      std::set<std::string> names;
      for (const auto& f : files.value()) {
        auto known = a.HasFileNamed(f.name);
        if (!known.ok()) return fail(known.status());
        if (known.value() || !names.insert(f.name).second) {
          ++c.files_skipped;
          continue;
        }
        todo.push_back(&f);
      }
      progress.Queued(static_cast<int64_t>(todo.size()));
      // Up to opts.parallel downloads run at once; ingest takes them in listing order, each in
      // its own transaction, while later ones are still arriving.
      Fetcher fetcher(opts.parallel, todo.size(),
                      [&](size_t i) { return Fetch(ctx.env, a, dac, *todo[i], &progress); });
      for (size_t i = 0; i < todo.size(); ++i) {
        const client::ListedFile& f = *todo[i];
        auto fetched = fetcher.Take(i);
        Status fs = [&]() -> Status {
          DV_ASSIGN_OR_RETURN(auto d, std::move(fetched));
          DV_ASSIGN_OR_RETURN(auto reader, d->spool->Open());
          DV_RETURN_IF_ERROR(ing.value()->IngestSource(f.name, d->hash.Final(), d->spool->bytes(),
                                                       reader.get(), &c));
          if (downloads.size() < kMaxDownloadDetails) {
            downloads.push_back({{"file", f.name},
                                 {"bytes", d->spool->bytes()},
                                 {"sha256", d->sha256_hex},
                                 {"server_digest", d->digest_checked ? "matched" : "absent"}});
          }
          return Status::Ok();
        }();
        if (!fs.ok()) {
          c.files_failed.push_back(f.name);
          // LivePerson deletes a file 30 days after creating it. It is created once its scope
          // hour has closed, so the scope end is the earliest it can have been created: the
          // days counted from there are never more than the file really has.
          const int64_t deleted_ms = f.scope_end_ms + kLivePersonKeepsMs;
          const int64_t days_left = FloorDiv(deleted_ms - now, kMillisPerDay);
          if (failed_details.size() < kMaxErrorDetails) {
            failed_details.push_back({{"file", f.name},
                                      {"days_left", days_left},
                                      {"deleted_after", FormatTime(deleted_ms)}});
          }
          const std::string left =
              days_left >= 0 ? std::to_string(days_left) + " days left before LivePerson deletes it"
                             : std::string("LivePerson may already have deleted it");
          note_error(
              Status(fs.code(), fs.message() + "; " + left + " (" + FormatTime(deleted_ms) + ")"));
          window_ok = false;
        }
        progress.FileDone(fs.ok());
      }
      progress.WindowDone(todo.size());
      if (!window_ok) complete = false;
      if (complete) advanced = we;
      ws = we;
    }
    if (advanced && (!cursor.value() || *advanced > *cursor.value())) {
      s = a.Begin();
      if (s.ok()) s = a.SetCursor(t, *advanced);
      if (s.ok()) s = a.Commit();
      if (!s.ok()) return fail(s);
    }
    per_type[std::string(format::ApiTypeName(type))] = {
        {"from", FormatTime(start)}, {"to", FormatTime(end)},
        {"windows", windows},        {"files_listed", listed},
        {"complete", complete},      {"cursor", TimeOrNull(advanced ? advanced : cursor.value())}};
  }
  progress.Finish();
  // The archive's total, once per run (an index count, no decryption), as ingest reports it.
  if (auto u = UnsearchableRecords(a); u.ok()) c.unsearchable_records = u.value();
  c.ToJson(&res);
  res["files_failed_details"] = failed_details;
  res["downloads"] = downloads;
  const int64_t errors_omitted = errors_total - static_cast<int64_t>(c.errors.size());
  if (errors_omitted > 0) res["errors_omitted"] = errors_omitted;
  res["types"] = per_type;
  res["retries"] = dac.retries_used();
  if (oauth2 != nullptr) res["tokens_fetched"] = oauth2->tokens_fetched();
  // A pull that changed nothing leaves no trace: the archive stays byte-for-byte as it was.
  if (c.files_ingested > 0) s = a.Begin();
  if (s.ok() && c.files_ingested > 0)
    s = AuditAndCommit(a, "pull",
                       Json{{"account_hash", HashHex(crypto::PlainHash(opts.account))},
                            {"files_ingested", c.files_ingested},
                            {"files_skipped", c.files_skipped},
                            {"files_failed", c.files_failed},
                            {"records_ingested", c.records_ingested},
                            {"records_suppressed", c.records_suppressed}});
  if (!s.ok()) return fail(s);
  // Every error on its own line when there are several; one error is the final status line.
  if (errors_total > 1 && ctx.log) {
    for (const auto& e : c.errors) ctx.log("error: " + e["error"].get<std::string>());
    if (errors_omitted > 0)
      ctx.log("error: ... and " + std::to_string(errors_omitted) +
              " more errors (files_failed names every failed file)");
  }
  if (!first_error.ok())
    out.status =
        Status(Code::kFailed,
               first_error.message() +
                   (errors_total > 1 ? " (and " + std::to_string(errors_total - 1) + " more errors)"
                                     : ""));
  return out;
}

}  // namespace davault::compliance
