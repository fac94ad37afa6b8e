// PGP via GPGME: a throw-away GnuPG home per Keyring, decryption into wiped memory buffers.
#include "pgp/pgp.h"

#include <gpgme.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace davault::pgp {

namespace {

// Sockets live in the home when no /run/user directory is available: keep its path short
// (sockaddr_un holds 108 bytes).
constexpr size_t kMaxTmpDirLength = 64;

// The settings LivePerson documents for its encryption (shared/dataaccess-api.md §5). The home
// is offline: no key servers, no key look-ups.
constexpr std::string_view kGpgConf =
    "personal-cipher-preferences AES256\n"
    "personal-digest-preferences SHA512\n"
    "personal-compress-preferences ZLIB ZIP\n"
    "s2k-digest-algo SHA512\n"
    "no-auto-key-retrieve\n"
    "auto-key-locate local\n";

Status InitGpgme() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    ok = gpgme_check_version(nullptr) != nullptr &&
         gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) == GPG_ERR_NO_ERROR;
  });
  if (!ok) return Status::Failed("GnuPG (gpg) is not installed or too old for GPGME");
  return Status::Ok();
}

std::string ErrorText(gpgme_error_t e) {
  char buf[256];
  gpgme_strerror_r(e, buf, sizeof buf);
  return buf;
}

Status RemoveTree(Env* env, const std::string& path) {
  auto info = env->Stat(path);
  if (!info.ok()) return Status::Ok();  // already gone
  if (info.value().is_dir) {
    auto names = env->ListDir(path);
    if (names.ok()) {
      for (const std::string& n : names.value()) {
        if (n == "." || n == "..") continue;
        Status s = RemoveTree(env, JoinPath(path, n));
        if (!s.ok()) return s;
      }
    }
    return env->RemoveDir(path);
  }
  return env->Remove(path);
}

// Output of a decryption: grows by copying into a bigger buffer and wiping the old one, so no
// freed heap block keeps plaintext; refuses more than kMaxPlaintextBytes.
struct Sink {
  std::string* out;
  bool too_big = false;
};

ssize_t SinkWrite(void* handle, const void* buf, size_t n) {
  Sink* sink = static_cast<Sink*>(handle);
  std::string& s = *sink->out;
  if (s.size() + n > kMaxPlaintextBytes) {
    sink->too_big = true;
    errno = EFBIG;
    return -1;
  }
  if (s.size() + n > s.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(s.capacity() * 2, s.size() + n + 256));
    bigger.append(s);
    SecureWipe(&s);
    s.swap(bigger);
  }
  s.append(static_cast<const char*>(buf), n);
  return static_cast<ssize_t>(n);
}

}  // namespace

bool IsArmoredMessage(std::string_view s) {
  return s.size() >= kArmorHeader.size() && s.find(kArmorHeader) != std::string_view::npos;
}

void SecureWipe(std::string* s) {
  if (s->empty()) return;
  // volatile: the stores must happen although the bytes are never read again.
  volatile char* p = s->data();
  for (size_t i = 0; i < s->size(); ++i) p[i] = 0;
  s->clear();
}

struct Keyring::Impl {
  Env* env = nullptr;
  std::string home;
  std::string fingerprint;
  std::string passphrase;
  gpgme_ctx_t ctx = nullptr;
  std::mutex mu;

  ~Impl() {
    if (ctx != nullptr) gpgme_release(ctx);
    StopAgent();
    SecureWipe(&passphrase);
    if (home.empty()) return;
    // The agent removes its sockets as it exits, which may be just after we listed the home:
    // try again for a moment rather than leave an empty directory behind.
    for (int attempt = 0; attempt < 40; ++attempt) {
      if (RemoveTree(env, home).ok() || !env->Exists(home)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }

  // gpg started a gpg-agent for this home; it must not outlive the Keyring.
  void StopAgent() {
    if (home.empty()) return;
    const char* gpgconf = gpgme_get_dirinfo("gpgconf-name");
    if (gpgconf == nullptr) return;
    gpgme_ctx_t c = nullptr;
    if (gpgme_new(&c) != GPG_ERR_NO_ERROR) return;
    if (gpgme_set_protocol(c, GPGME_PROTOCOL_SPAWN) == GPG_ERR_NO_ERROR) {
      const char* argv[] = {"gpgconf", "--homedir", home.c_str(), "--kill", "gpg-agent", nullptr};
      (void)gpgme_op_spawn(c, gpgconf, argv, nullptr, nullptr, nullptr, 0);
    }
    gpgme_release(c);
  }

  static gpgme_error_t Passphrase(void* hook, const char*, const char*, int prev_was_bad, int fd) {
    Impl* self = static_cast<Impl*>(hook);
    // Never ask twice, and never ask a terminal: a wrong or missing passphrase is a failure.
    if (self->passphrase.empty() || prev_was_bad) return GPG_ERR_CANCELED;
    std::string line = self->passphrase + "\n";
    gpgme_error_t e = GPG_ERR_NO_ERROR;
    if (gpgme_io_writen(fd, line.data(), line.size()) != 0) e = GPG_ERR_CANCELED;
    SecureWipe(&line);
    return e;
  }

  Status MakeHome() {
    const char* t = std::getenv("TMPDIR");
    std::string base =
        (t != nullptr && *t == '/' && std::strlen(t) < kMaxTmpDirLength) ? t : "/tmp";
    for (int attempt = 0; attempt < 8; ++attempt) {
      unsigned char rnd[8];
      env->RandomBytes(rnd, sizeof rnd);
      static const char kHex[] = "0123456789abcdef";
      std::string name = "davault-pgp-";
      for (unsigned char c : rnd) {
        name.push_back(kHex[c >> 4]);
        name.push_back(kHex[c & 15]);
      }
      std::string path = JoinPath(base, name);
      if (env->Exists(path)) continue;
      Status s = env->MakeDir(path, 0700);
      if (!s.ok()) return s.Context("cannot create a private GnuPG home");
      home = path;
      DV_RETURN_IF_ERROR(WriteFileAtomically(env, JoinPath(home, "gpg.conf"), kGpgConf, 0600));
      return Status::Ok();
    }
    return Status::Failed("cannot create a private GnuPG home in " + base);
  }

  Status MakeContext() {
    DV_RETURN_IF_ERROR(InitGpgme());
    DV_RETURN_IF_ERROR(MakeHome());
    gpgme_error_t e = gpgme_new(&ctx);
    if (e == GPG_ERR_NO_ERROR)
      e = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str());
    if (e == GPG_ERR_NO_ERROR) e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
    if (e != GPG_ERR_NO_ERROR) return Status::Failed("GPGME: " + ErrorText(e));
    gpgme_set_offline(ctx, 1);
    gpgme_set_armor(ctx, 1);
    gpgme_set_passphrase_cb(ctx, &Impl::Passphrase, this);
    return Status::Ok();
  }

  Status Import(const std::string& key_file, bool want_secret) {
    DV_ASSIGN_OR_RETURN(std::string bytes, ReadFileToString(env, key_file));
    gpgme_data_t d = nullptr;
    gpgme_error_t e = gpgme_data_new_from_mem(&d, bytes.data(), bytes.size(), 0);
    if (e == GPG_ERR_NO_ERROR) e = gpgme_op_import(ctx, d);
    gpgme_import_result_t r = e == GPG_ERR_NO_ERROR ? gpgme_op_import_result(ctx) : nullptr;
    if (d != nullptr) gpgme_data_release(d);
    SecureWipe(&bytes);
    const char* what = want_secret ? "PGP key file " : "PGP public key file ";
    if (e != GPG_ERR_NO_ERROR)
      return Status::Failed(what + key_file + ": cannot import it (" + ErrorText(e) + ")");
    if (r == nullptr || r->considered == 0)
      return Status::Failed(what + key_file + ": holds no OpenPGP key");
    // The primary key of what was imported, secret part present if asked for.
    gpgme_key_t key = nullptr;
    e = gpgme_op_keylist_start(ctx, nullptr, want_secret ? 1 : 0);
    if (e == GPG_ERR_NO_ERROR) e = gpgme_op_keylist_next(ctx, &key);
    gpgme_op_keylist_end(ctx);
    if (e != GPG_ERR_NO_ERROR || key == nullptr || key->subkeys == nullptr) {
      if (key != nullptr) gpgme_key_unref(key);
      return Status::Failed(what + key_file +
                            (want_secret ? ": holds no secret key" : ": holds no usable key"));
    }
    fingerprint = key->subkeys->fpr != nullptr ? key->subkeys->fpr : "";
    gpgme_key_unref(key);
    return Status::Ok();
  }
};

Keyring::Keyring(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Keyring::~Keyring() = default;

Result<std::unique_ptr<Keyring>> Keyring::LoadSecretKey(Env* env, const std::string& key_file,
                                                        const std::string& passphrase) {
  auto info = env->Stat(key_file);
  if (!info.ok()) return Status::Usage("PGP key file " + key_file + ": " + info.status().message());
  if (info.value().is_dir) return Status::Usage("PGP key file " + key_file + " is a directory");
  if ((info.value().mode & 077) != 0)
    return Status::Usage("PGP key file " + key_file +
                         " may be read by group or others; chmod 600 it");
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  impl->passphrase = passphrase;
  DV_RETURN_IF_ERROR(impl->MakeContext());
  DV_RETURN_IF_ERROR(impl->Import(key_file, /*want_secret=*/true));
  return std::unique_ptr<Keyring>(new Keyring(std::move(impl)));
}

Result<std::unique_ptr<Keyring>> Keyring::LoadPublicKey(Env* env, const std::string& key_file) {
  auto impl = std::make_unique<Impl>();
  impl->env = env;
  DV_RETURN_IF_ERROR(impl->MakeContext());
  DV_RETURN_IF_ERROR(impl->Import(key_file, /*want_secret=*/false));
  return std::unique_ptr<Keyring>(new Keyring(std::move(impl)));
}

Status Keyring::Decrypt(std::string_view armored, std::string* plain) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  SecureWipe(plain);
  if (!IsArmoredMessage(armored)) return Status::Failed("not an ASCII-armored PGP message");
  gpgme_data_t in = nullptr, out = nullptr;
  Sink sink{plain};
  gpgme_data_cbs cbs{};
  cbs.write = &SinkWrite;
  gpgme_error_t e = gpgme_data_new_from_mem(&in, armored.data(), armored.size(), 0);
  if (e == GPG_ERR_NO_ERROR) e = gpgme_data_new_from_cbs(&out, &cbs, &sink);
  if (e == GPG_ERR_NO_ERROR) e = gpgme_op_decrypt(impl_->ctx, in, out);
  if (in != nullptr) gpgme_data_release(in);
  if (out != nullptr) gpgme_data_release(out);
  if (e == GPG_ERR_NO_ERROR && !sink.too_big) return Status::Ok();
  SecureWipe(plain);
  if (sink.too_big)
    return Status::Failed("PGP message decrypts to more than " +
                          std::to_string(kMaxPlaintextBytes >> 20) + " MiB");
  switch (gpgme_err_code(e)) {
    case GPG_ERR_NO_SECKEY:
      return Status::Failed("PGP message is not encrypted to the loaded key");
    case GPG_ERR_NO_DATA:
      return Status::Failed("not a valid PGP message");
    case GPG_ERR_CANCELED:
    case GPG_ERR_BAD_PASSPHRASE:
      return Status::Failed("the PGP key's passphrase is missing or wrong");
    default:
      return Status::Failed("PGP decryption failed (" + ErrorText(e) + ")");
  }
}

Result<std::string> Keyring::EncryptArmored(std::string_view plain) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  gpgme_key_t key = nullptr;
  gpgme_error_t e = gpgme_get_key(impl_->ctx, impl_->fingerprint.c_str(), &key, 0);
  if (e != GPG_ERR_NO_ERROR) return Status::Failed("PGP key lookup failed (" + ErrorText(e) + ")");
  gpgme_key_t recipients[] = {key, nullptr};
  gpgme_data_t in = nullptr, out = nullptr;
  e = gpgme_data_new_from_mem(&in, plain.data(), plain.size(), 0);
  if (e == GPG_ERR_NO_ERROR) e = gpgme_data_new(&out);
  if (e == GPG_ERR_NO_ERROR)
    e = gpgme_op_encrypt(impl_->ctx, recipients, GPGME_ENCRYPT_ALWAYS_TRUST, in, out);
  gpgme_key_unref(key);
  if (in != nullptr) gpgme_data_release(in);
  std::string armored;
  if (out != nullptr) {
    size_t n = 0;
    char* mem = gpgme_data_release_and_get_mem(out, &n);
    if (mem != nullptr) {
      armored.assign(mem, n);
      gpgme_free(mem);
    }
  }
  if (e != GPG_ERR_NO_ERROR) return Status::Failed("PGP encryption failed (" + ErrorText(e) + ")");
  return armored;
}

const std::string& Keyring::home() const { return impl_->home; }
const std::string& Keyring::fingerprint() const { return impl_->fingerprint; }

}  // namespace davault::pgp
