// libsodium implementation of the crypto module; the only file that includes sodium.h.
#include "crypto/crypto.h"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace davault::crypto {

static_assert(sizeof(crypto_secretstream_xchacha20poly1305_state) == 52);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == 16);
static_assert(crypto_secretstream_xchacha20poly1305_ABYTES == StreamOpener::kChunkOverhead);
static_assert(crypto_kdf_KEYBYTES == Key::kSize);

Status Init() {
  if (sodium_init() < 0) return Status::Failed("cannot initialise libsodium");
  return Status::Ok();
}

namespace {
unsigned char* AllocSecret(size_t n) {
  auto* p = static_cast<unsigned char*>(sodium_malloc(n));
  if (p == nullptr) throw std::bad_alloc();
  sodium_memzero(p, n);
  return p;
}
}  // namespace

Key::Key() : p_(AllocSecret(kSize)) {}
Key::~Key() {
  if (p_ != nullptr) sodium_free(p_);  // sodium_free wipes before releasing
}
Key::Key(Key&& other) noexcept : p_(other.p_) { other.p_ = nullptr; }
Key& Key::operator=(Key&& other) noexcept {
  if (this != &other) {
    if (p_ != nullptr) sodium_free(p_);
    p_ = other.p_;
    other.p_ = nullptr;
  }
  return *this;
}
Key Key::Random() {
  Key k;
  randombytes_buf(k.p_, kSize);
  return k;
}
Result<Key> Key::FromBytes(std::string_view raw) {
  if (raw.size() != kSize) return Status::Failed("key material has the wrong length");
  Key k;
  std::memcpy(k.p_, raw.data(), kSize);
  return k;
}
void Key::Randomize() { randombytes_buf(p_, kSize); }
Key Key::Clone() const {
  Key k;
  std::memcpy(k.p_, p_, kSize);
  return k;
}

void SealAppend(const Key& key, std::string_view plaintext, std::string_view ad, std::string* out) {
  size_t start = out->size();
  out->resize(start + kAeadOverhead + plaintext.size());
  auto* nonce = reinterpret_cast<unsigned char*>(out->data() + start);
  randombytes_buf(nonce, 24);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + 24, &clen, reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key.data());
}

std::string Seal(const Key& key, std::string_view plaintext, std::string_view ad) {
  std::string out;
  SealAppend(key, plaintext, ad, &out);
  return out;
}

Result<std::string> Open(const Key& key, std::string_view sealed, std::string_view ad) {
  if (sealed.size() < kAeadOverhead) return Status::Failed("sealed payload is too short");
  std::string out(sealed.size() - kAeadOverhead, '\0');
  auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(out.data()),
                                                 &mlen, nullptr, nonce + 24, sealed.size() - 24,
                                                 reinterpret_cast<const unsigned char*>(ad.data()),
                                                 ad.size(), nonce, key.data()) != 0) {
    sodium_memzero(out.data(), out.size());
    return Status::Failed("authentication failed");
  }
  return out;
}

std::string WrapKey(const Key& wrapping_key, const Key& key, std::string_view ad) {
  return Seal(wrapping_key, key.view(), ad);
}

Status UnwrapKeyInto(const Key& wrapping_key, std::string_view wrapped, std::string_view ad,
                     Key* out) {
  if (wrapped.size() != kAeadOverhead + Key::kSize)
    return Status::Failed("wrapped key has the wrong length");
  unsigned long long mlen = 0;
  auto* nonce = reinterpret_cast<const unsigned char*>(wrapped.data());
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out->data(), &mlen, nullptr, nonce + 24,
                                                 wrapped.size() - 24,
                                                 reinterpret_cast<const unsigned char*>(ad.data()),
                                                 ad.size(), nonce, wrapping_key.data()) != 0) {
    sodium_memzero(out->data(), Key::kSize);
    return Status::Failed("authentication failed");
  }
  return Status::Ok();
}

Result<Key> UnwrapKey(const Key& wrapping_key, std::string_view wrapped, std::string_view ad) {
  Key k;
  DV_RETURN_IF_ERROR(UnwrapKeyInto(wrapping_key, wrapped, ad, &k));
  return k;
}

Hash KeyedHash(const Key& key, std::string_view data) {
  Hash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), key.data(), Key::kSize);
  return h;
}

Hash PlainHash(std::string_view data) {
  Hash h;
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(data.data()),
                     data.size(), nullptr, 0);
  return h;
}

struct HashStream::State {
  crypto_generichash_state st;
};
HashStream::HashStream() : s_(std::make_unique<State>()) {
  crypto_generichash_init(&s_->st, nullptr, 0, 32);
}
HashStream::HashStream(const Key& key) : s_(std::make_unique<State>()) {
  crypto_generichash_init(&s_->st, key.data(), Key::kSize, 32);
}
HashStream::~HashStream() = default;
void HashStream::Update(std::string_view data) {
  crypto_generichash_update(&s_->st, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}
Hash HashStream::Final() {
  Hash h;
  crypto_generichash_final(&s_->st, h.data(), h.size());
  return h;
}

struct Sha256Stream::State {
  crypto_hash_sha256_state st;
};
Sha256Stream::Sha256Stream() : s_(std::make_unique<State>()) { crypto_hash_sha256_init(&s_->st); }
Sha256Stream::~Sha256Stream() = default;
void Sha256Stream::Update(std::string_view data) {
  crypto_hash_sha256_update(&s_->st, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
}
std::array<unsigned char, 32> Sha256Stream::Final() {
  std::array<unsigned char, 32> h{};
  crypto_hash_sha256_final(&s_->st, h.data());
  return h;
}
std::array<unsigned char, 32> Sha256(std::string_view data) {
  Sha256Stream s;
  s.Update(data);
  return s.Final();
}

Key DeriveSubkey(const Key& master, uint64_t id, const char (&context)[9]) {
  Key k;
  crypto_kdf_derive_from_key(k.data(), Key::kSize, id, context, master.data());
  return k;
}

PassphraseParams NewPassphraseParams(bool cheap_for_tests) {
  PassphraseParams p;
  randombytes_buf(p.salt.data(), p.salt.size());
  if (cheap_for_tests) {
    p.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    p.memlimit = crypto_pwhash_MEMLIMIT_MIN;
  } else {
    p.opslimit = crypto_pwhash_OPSLIMIT_MODERATE;
    p.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE * 2;  // 128 MiB
  }
  return p;
}

Result<Key> KeyFromPassphrase(std::string_view passphrase, const PassphraseParams& params) {
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN || params.memlimit < crypto_pwhash_MEMLIMIT_MIN)
    return Status::Failed("stored passphrase parameters are invalid");
  Key k;
  if (crypto_pwhash(k.data(), Key::kSize, passphrase.data(), passphrase.size(), params.salt.data(),
                    params.opslimit, static_cast<size_t>(params.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Status::Failed("cannot derive a key from the passphrase (out of memory?)");
  return k;
}

Key KeyFromMaterial(std::string_view material) {
  Key k;
  static const char kDomain[] = "davault key file v1";
  crypto_generichash(k.data(), Key::kSize, reinterpret_cast<const unsigned char*>(material.data()),
                     material.size(), reinterpret_cast<const unsigned char*>(kDomain),
                     sizeof kDomain - 1);
  return k;
}

Signer::Signer(const Key& seed) : sk_(AllocSecret(crypto_sign_SECRETKEYBYTES)) {
  crypto_sign_seed_keypair(pk_.data(), sk_, seed.data());
}
Signer::~Signer() { sodium_free(sk_); }
Signature Signer::Sign(std::string_view message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), sk_);
  return sig;
}
bool VerifySignature(const PublicKey& pk, std::string_view message, const Signature& sig) {
  return crypto_sign_verify_detached(sig.data(),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), pk.data()) == 0;
}

StreamSealer::StreamSealer(const Key& key) {
  header_.resize(kHeaderSize);
  crypto_secretstream_xchacha20poly1305_init_push(
      reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_.data()),
      reinterpret_cast<unsigned char*>(header_.data()), key.data());
}
std::string StreamSealer::Push(std::string_view chunk, bool final) {
  std::string out(chunk.size() + StreamOpener::kChunkOverhead, '\0');
  crypto_secretstream_xchacha20poly1305_push(
      reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_.data()),
      reinterpret_cast<unsigned char*>(out.data()), nullptr,
      reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(), nullptr, 0,
      final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
  return out;
}

Result<std::unique_ptr<StreamOpener>> StreamOpener::Create(const Key& key,
                                                           std::string_view header) {
  if (header.size() != StreamSealer::kHeaderSize) return Status::Failed("bad stream header");
  std::unique_ptr<StreamOpener> o(new StreamOpener());
  if (crypto_secretstream_xchacha20poly1305_init_pull(
          reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(o->state_.data()),
          reinterpret_cast<const unsigned char*>(header.data()), key.data()) != 0)
    return Status::Failed("bad stream header");
  return o;
}
Result<std::string> StreamOpener::Pull(std::string_view sealed, bool* final) {
  if (sealed.size() < kChunkOverhead) return Status::Failed("stream chunk is too short");
  std::string out(sealed.size() - kChunkOverhead, '\0');
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
          reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(state_.data()),
          reinterpret_cast<unsigned char*>(out.data()), nullptr, &tag,
          reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(), nullptr, 0) != 0)
    return Status::Failed("stream chunk failed authentication");
  *final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  return out;
}

std::string ToHex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

Result<std::string> FromHex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  size_t len = 0;
  if (hex.size() % 2 != 0 ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &len, nullptr) != 0 ||
      len != out.size())
    return Status::Failed("invalid hex");
  return out;
}

std::string ToBase64(std::string_view bytes) {
  size_t n = sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(n, '\0');
  sodium_bin2base64(out.data(), n, reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(n - 1);
  return out;
}

Result<std::string> FromBase64(std::string_view b64) {
  std::string out(b64.size(), '\0');
  size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), b64.data(),
                        b64.size(), " \n\r\t", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return Status::Failed("invalid base64");
  out.resize(len);
  return out;
}

bool Equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace davault::crypto
