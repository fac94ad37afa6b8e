// PGP values (LivePerson's PGP option): GPGME in a private temporary GnuPG home, never the user's.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "davault/env.h"
#include "davault/status.h"

namespace davault::pgp {

// The armor header LivePerson's encrypted values carry (shared/dataaccess-api.md §5).
inline constexpr std::string_view kArmorHeader = "-----BEGIN PGP MESSAGE-----";

// True when s holds an ASCII-armored PGP message.
bool IsArmoredMessage(std::string_view s);

// Decrypted output larger than this is refused (a compressed message can inflate enormously).
inline constexpr size_t kMaxPlaintextBytes = 16u << 20;

// A GnuPG home made for this process only (a new directory, mode 0700, under $TMPDIR or /tmp)
// holding the one key file it was created from. The destructor stops the gpg-agent started for
// it and removes the directory. Never reads or writes the user's keyring or $GNUPGHOME.
// Not thread-safe: one operation at a time (callers serialize).
class Keyring {
 public:
  // A secret key file (armored or binary, as `gpg --export-secret-keys` writes it). Refuses a
  // file that group or others may read (Code::kUsage, like the credentials file), and one that
  // holds no secret key (Code::kFailed). Messages name the file, never key material.
  // passphrase: for a protected key; empty means the key has none.
  static Result<std::unique_ptr<Keyring>> LoadSecretKey(Env* env, const std::string& key_file,
                                                        const std::string& passphrase = "");
  // A public key file, to encrypt to (used by the test tools; no mode check: public keys are
  // public).
  static Result<std::unique_ptr<Keyring>> LoadPublicKey(Env* env, const std::string& key_file);
  ~Keyring();
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // Decrypts one ASCII-armored message into *plain (replacing its content) entirely in memory.
  // Failures are Code::kFailed with a message that holds neither ciphertext nor plaintext
  // ("not encrypted to the loaded key", "not a PGP message", ...). On failure *plain is empty.
  // The caller wipes *plain when done (SecureWipe).
  Status Decrypt(std::string_view armored, std::string* plain);

  // Encrypts plain to the loaded key as an ASCII-armored message with LivePerson's algorithms
  // (AES-256, SHA-512, compressed).
  Result<std::string> EncryptArmored(std::string_view plain);

  // The GnuPG home in use (for tests: it must be gone after the destructor).
  const std::string& home() const;
  // Fingerprint of the imported key's primary key.
  const std::string& fingerprint() const;

 private:
  struct Impl;
  explicit Keyring(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Overwrites a string's bytes before it is cleared (plaintext of decrypted values).
void SecureWipe(std::string* s);

}  // namespace davault::pgp
