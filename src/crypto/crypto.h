// libsodium behind one module: fixed-size keys in guarded memory, AEAD, keyed hashing, KDF,
// Ed25519 signatures, Argon2id and streaming encryption for spool files.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "davault/status.h"

namespace davault::crypto {

// Must be called once before anything else here; safe to call again.
Status Init();

// A 32-byte secret held in sodium_malloc'd (guarded, mlocked) memory, wiped when freed.
// Move-only, so key material is never copied by accident.
class Key {
 public:
  static constexpr size_t kSize = 32;
  Key();  // zero key
  ~Key();
  Key(Key&& other) noexcept;
  Key& operator=(Key&& other) noexcept;
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;

  static Key Random();
  // Copies exactly kSize bytes from raw (e.g. after unwrapping).
  static Result<Key> FromBytes(std::string_view raw);
  Key Clone() const;
  // Refills this key's guarded memory with fresh random bytes. The ingest path keeps one
  // scratch key and refills it per record: a new Key is an mmap + mprotect pair.
  void Randomize();

  unsigned char* data() { return p_; }
  const unsigned char* data() const { return p_; }
  std::string_view view() const { return {reinterpret_cast<const char*>(p_), kSize}; }

 private:
  unsigned char* p_;
};

using Nonce = std::array<unsigned char, 24>;  // XChaCha20-Poly1305 nonce
using Hash = std::array<unsigned char, 32>;   // BLAKE2b-256 output
using PublicKey = std::array<unsigned char, 32>;
using Signature = std::array<unsigned char, 64>;

constexpr size_t kAeadOverhead = 24 + 16;  // nonce + tag, as laid out by Seal

// XChaCha20-Poly1305: returns nonce || ciphertext || tag. The associated data binds the
// payload to its place (archive, file, record); Open fails if any of it differs.
std::string Seal(const Key& key, std::string_view plaintext, std::string_view ad);
// Appends the sealed form to *out (avoids a copy on the ingest path).
void SealAppend(const Key& key, std::string_view plaintext, std::string_view ad, std::string* out);
Result<std::string> Open(const Key& key, std::string_view sealed, std::string_view ad);

// Key wrapping is AEAD of the 32 key bytes under a wrapping key.
std::string WrapKey(const Key& wrapping_key, const Key& key, std::string_view ad);
Result<Key> UnwrapKey(const Key& wrapping_key, std::string_view wrapped, std::string_view ad);
// Same, into an existing key's memory (no new guarded allocation). *out is wiped on failure.
Status UnwrapKeyInto(const Key& wrapping_key, std::string_view wrapped, std::string_view ad,
                     Key* out);

// Keyed BLAKE2b-256 (identifier pseudonyms) and plain BLAKE2b-256 (chains, content ids).
Hash KeyedHash(const Key& key, std::string_view data);
Hash PlainHash(std::string_view data);
class HashStream {  // incremental BLAKE2b-256, keyed when a key is given
 public:
  HashStream();
  explicit HashStream(const Key& key);
  ~HashStream();
  void Update(std::string_view data);
  Hash Final();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Incremental SHA-256 (crypto_hash_sha256): the digest servers publish for a file (RFC 9530
// Repr-Digest), compared with what was downloaded. Not used for anything secret.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  void Update(std::string_view data);
  std::array<unsigned char, 32> Final();

 private:
  struct State;
  std::unique_ptr<State> s_;
};
// One-shot SHA-256.
std::array<unsigned char, 32> Sha256(std::string_view data);

// crypto_kdf: subkey number `id` under an 8-character context.
Key DeriveSubkey(const Key& master, uint64_t id, const char (&context)[9]);

// Argon2id.
struct PassphraseParams {
  std::array<unsigned char, 16> salt{};
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
};
PassphraseParams NewPassphraseParams(bool cheap_for_tests);
Result<Key> KeyFromPassphrase(std::string_view passphrase, const PassphraseParams& params);
// A key file's contents (any length) become a key through BLAKE2b.
Key KeyFromMaterial(std::string_view material);

// Ed25519 from a 32-byte seed.
class Signer {
 public:
  explicit Signer(const Key& seed);
  ~Signer();
  Signature Sign(std::string_view message) const;
  const PublicKey& public_key() const { return pk_; }

 private:
  PublicKey pk_{};
  unsigned char* sk_;  // 64 bytes, sodium_malloc'd
};
bool VerifySignature(const PublicKey& pk, std::string_view message, const Signature& sig);

// crypto_secretstream: encrypts a spool file in chunks under an ephemeral key.
class StreamSealer {
 public:
  static constexpr size_t kHeaderSize = 24;
  explicit StreamSealer(const Key& key);
  const std::string& header() const { return header_; }
  std::string Push(std::string_view chunk, bool final);

 private:
  std::string header_;
  std::array<unsigned char, 52> state_{};  // crypto_secretstream_xchacha20poly1305_state
};
class StreamOpener {
 public:
  static Result<std::unique_ptr<StreamOpener>> Create(const Key& key, std::string_view header);
  // Decrypts one sealed chunk (of size plaintext + kChunkOverhead); *final set on the last one.
  Result<std::string> Pull(std::string_view sealed_chunk, bool* final);
  static constexpr size_t kChunkOverhead = 17;

 private:
  StreamOpener() = default;
  std::array<unsigned char, 52> state_{};
};

std::string ToHex(std::string_view bytes);
template <size_t N>
std::string ToHex(const std::array<unsigned char, N>& a) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(a.data()), N));
}
Result<std::string> FromHex(std::string_view hex);
std::string ToBase64(std::string_view bytes);
Result<std::string> FromBase64(std::string_view b64);
template <size_t N>
std::string_view AsView(const std::array<unsigned char, N>& a) {
  return std::string_view(reinterpret_cast<const char*>(a.data()), N);
}
// Constant-time equality.
bool Equal(std::string_view a, std::string_view b);

}  // namespace davault::crypto
