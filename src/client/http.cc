// libcurl easy-handle plumbing: pooled handles, streamed bodies, headers read via curl_easy_header.
#include "client/http.h"

#include <curl/curl.h>

#include <mutex>

#include "client/url.h"

namespace davault::client {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string HeaderValue(CURL* easy, const char* name);

struct Transfer {
  CURL* easy = nullptr;
  const BodySink* sink = nullptr;
  const HttpRequest* request = nullptr;
  bool started = false;
  int64_t body_bytes = 0;
  std::string error_body;
  Status sink_status;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  long code = 0;
  curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
  t->body_bytes += static_cast<int64_t>(n);
  if (code >= 200 && code < 300) {
    try {
      if (!t->started) {
        t->started = true;
        if (t->request->on_body_start) {
          Status s = t->request->on_body_start(code, HeaderValue(t->easy, "Content-Range"));
          if (!s.ok()) {
            t->sink_status = std::move(s);
            return 0;
          }
        }
      }
      Status s = (*t->sink)(std::string_view(data, n));
      if (!s.ok()) {
        t->sink_status = std::move(s);
        return 0;  // != n: curl aborts with CURLE_WRITE_ERROR
      }
    } catch (const std::exception& e) {
      t->sink_status = Status::Failed(std::string("cannot store the body: ") + e.what());
      return 0;
    }
  } else if (t->error_body.size() < kMaxErrorBody) {
    t->error_body.append(data, std::min(n, kMaxErrorBody - t->error_body.size()));
  }
  return n;
}

std::string HeaderValue(CURL* easy, const char* name) {
  curl_header* h = nullptr;
  if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == nullptr) {
    return {};
  }
  return h->value;
}

bool HasAcceptHeader(const std::vector<std::string>& headers) {
  for (const std::string& h : headers) {
    if (h.size() >= 7 && (h.compare(0, 7, "Accept:") == 0 || h.compare(0, 7, "accept:") == 0)) {
      return true;
    }
  }
  return false;
}

HttpFailure Classify(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return HttpFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return HttpFailure::kTimeout;
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return HttpFailure::kTransfer;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return HttpFailure::kTls;
    default:
      return HttpFailure::kOther;
  }
}

std::string Describe(CURLcode rc, const std::string& url, const char* errbuf) {
  std::string what;
  switch (Classify(rc)) {
    case HttpFailure::kConnect:
      what = "cannot reach ";
      break;
    case HttpFailure::kTimeout:
      what = "timed out talking to ";
      break;
    case HttpFailure::kTls:
      what = "TLS verification failed for ";
      break;
    default:
      what = "transfer failed for ";
      break;
  }
  what += url + ": " + curl_easy_strerror(rc);
  if (errbuf[0] != '\0') what += std::string(" (") + errbuf + ")";
  return what;
}

}  // namespace

struct HttpClient::Impl {
  HttpOptions options;
  std::mutex mu;
  std::vector<Easy> idle;

  Easy Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        Easy e = std::move(idle.back());
        idle.pop_back();
        curl_easy_reset(e.get());  // keeps the connection and DNS caches, drops options
        return e;
      }
    }
    return Easy(curl_easy_init());
  }

  void Release(Easy e) {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < 8) idle.push_back(std::move(e));
  }
};

HttpClient::HttpClient(HttpOptions options) : impl_(std::make_unique<Impl>()) {
  GlobalInit();
  impl_->options = std::move(options);
}

HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::Get(const HttpRequest& request, const BodySink& sink,
                                     HttpFailure* failure) {
  return Perform(request, nullptr, sink, failure);
}

Result<HttpResponse> HttpClient::Post(const HttpRequest& request, std::string_view body,
                                      const BodySink& sink, HttpFailure* failure) {
  return Perform(request, &body, sink, failure);
}

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request,
                                         const std::string_view* post_body, const BodySink& sink,
                                         HttpFailure* failure) {
  HttpFailure ignored;
  if (failure == nullptr) failure = &ignored;
  *failure = HttpFailure::kOther;
  DV_ASSIGN_OR_RETURN(UrlParts parts, ParseUrl(request.url));
  if (parts.scheme != "https" && parts.scheme != "http") {
    return Status::Usage("only http and https URLs are supported");
  }

  Easy easy = impl_->Acquire();
  if (!easy) return Status::Failed("cannot create a curl handle");
  CURL* c = easy.get();
  const HttpOptions& o = impl_->options;

  Slist headers;
  auto add_header = [&](const std::string& line) {
    curl_slist* next = curl_slist_append(headers.get(), line.c_str());
    if (next != nullptr) {
      (void)headers.release();
      headers.reset(next);
    }
    return next != nullptr;
  };
  // tap-liveperson succeeds with */*; "Accept: application/gzip" is refused (internalCode 5).
  if (!HasAcceptHeader(request.headers) && !add_header("Accept: */*")) {
    return Status::Failed("out of memory building request headers");
  }
  for (const std::string& h : request.headers) {
    if (!add_header(h)) return Status::Failed("out of memory building request headers");
  }

  Transfer t;
  t.easy = c;
  t.sink = &sink;
  t.request = &request;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  if (post_body != nullptr) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post_body->size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, post_body->data());
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we are threaded
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  // Redirects are not followed: each request must be signed for the host it goes to.
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!o.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(o.connect_timeout_s));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(o.low_speed_limit_bytes));
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.low_speed_time_s));
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  // A proxy from the environment must never see loopback traffic (the fake server, tests).
  if (IsLoopbackHost(parts.host)) curl_easy_setopt(c, CURLOPT_PROXY, "");
  // No CURLOPT_ACCEPT_ENCODING: the body must arrive byte for byte as the server stores it.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

  CURLcode rc = curl_easy_perform(c);

  HttpResponse resp;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  curl_off_t length = -1;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK) {
    resp.content_length = length;
  }
  char* ctype = nullptr;
  if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ctype) == CURLE_OK && ctype != nullptr) {
    resp.content_type = ctype;
  }
  curl_off_t retry = -1;
  if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0) {
    resp.retry_after_s = retry;
  }
  resp.content_range = HeaderValue(c, "Content-Range");
  resp.retry_after = HeaderValue(c, "Retry-After");
  resp.repr_digest = HeaderValue(c, "Repr-Digest");
  resp.body_bytes = t.body_bytes;
  resp.error_body = std::move(t.error_body);

  // The handle must not keep pointers into this frame once it goes back to the pool.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, nullptr);

  if (!t.sink_status.ok()) {
    impl_->Release(std::move(easy));
    *failure = HttpFailure::kSink;
    return t.sink_status;
  }
  if (rc != CURLE_OK) {
    std::string message = Describe(rc, request.url, errbuf);
    *failure = Classify(rc);
    if (rc == CURLE_PARTIAL_FILE && resp.content_length >= 0) {
      message = "short body from " + request.url + ": received " + std::to_string(resp.body_bytes) +
                " of " + std::to_string(resp.content_length) + " bytes";
    }
    // A handle that failed mid-transfer is dropped rather than pooled.
    return Status::Failed(message);
  }
  impl_->Release(std::move(easy));
  if (resp.status >= 200 && resp.status < 300 && resp.content_length >= 0 &&
      resp.body_bytes != resp.content_length) {
    *failure = HttpFailure::kTransfer;
    return Status::Failed("short body from " + request.url + ": received " +
                          std::to_string(resp.body_bytes) + " of " +
                          std::to_string(resp.content_length) + " bytes");
  }
  *failure = HttpFailure::kNone;
  return resp;
}

}  // namespace davault::client
