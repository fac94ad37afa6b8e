// Tests for pgp::Keyring: round trip, key file checks, wrong keys, bad messages, no leftovers.
#include "pgp/pgp.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace davault::pgp {
namespace {

// One directory per test binary run: GnuPG homes that generate the test keys with gpg itself.
class PgpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/davault-pgp-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Keyring homes go under $TMPDIR: a directory of this test's own, so the leftover check
    // sees only this binary's homes.
    std::string tmp = dir_ + "/tmp";
    ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
    setenv("TMPDIR", tmp.c_str(), 1);
    // A decoy user keyring: nothing may appear in it.
    user_home_ = dir_ + "/user-gnupg";
    ASSERT_EQ(mkdir(user_home_.c_str(), 0700), 0);
    setenv("GNUPGHOME", user_home_.c_str(), 1);
    MakeKey("alice", "", &alice_sec_, &alice_pub_);
    MakeKey("bob", "", &bob_sec_, &bob_pub_);
    MakeKey("carol", "s3cret pass", &carol_sec_, &carol_pub_);
  }
  static void TearDownTestSuite() {
    for (const char* who : {"alice", "bob", "carol"}) {
      std::string cmd = "gpgconf --homedir " + dir_ + "/gen-" + who + " --kill gpg-agent";
      (void)std::system(cmd.c_str());
    }
    std::string cmd = "rm -rf " + dir_;
    (void)std::system(cmd.c_str());
  }

  // After every test: no GnuPG home of any Keyring is left under $TMPDIR (this test's own).
  void TearDown() override {
    std::string cmd = "ls -d \"$TMPDIR\"/davault-pgp-* 2>/dev/null | wc -l > " + dir_ + "/left";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    std::ifstream in(dir_ + "/left");
    int left = -1;
    in >> left;
    EXPECT_EQ(left, 0) << "GnuPG homes left under " << std::getenv("TMPDIR");
  }

  static void MakeKey(const std::string& who, const std::string& pass, std::string* sec,
                      std::string* pub) {
    std::string home = dir_ + "/gen-" + who;
    ASSERT_EQ(mkdir(home.c_str(), 0700), 0);
    std::string gpg = "gpg --batch --quiet --homedir " + home + " --pinentry-mode loopback " +
                      "--passphrase '" + pass + "' ";
    std::string uid = who + " <" + who + "@example.test>";
    ASSERT_EQ(std::system((gpg + "--quick-gen-key '" + uid +
                           "' future-default default never "
                           "2>/dev/null")
                              .c_str()),
              0);
    *sec = dir_ + "/" + who + ".sec.asc";
    *pub = dir_ + "/" + who + ".pub.asc";
    ASSERT_EQ(std::system((gpg + "--armor --export-secret-keys > " + *sec).c_str()), 0);
    ASSERT_EQ(std::system((gpg + "--armor --export > " + *pub).c_str()), 0);
    ASSERT_EQ(chmod(sec->c_str(), 0600), 0);
  }

  static std::string Encrypt(const std::string& pub, const std::string& plain) {
    auto k = Keyring::LoadPublicKey(Env::Default(), pub);
    EXPECT_TRUE(k.ok()) << k.status().message();
    if (!k.ok()) return "";
    auto m = k.value()->EncryptArmored(plain);
    EXPECT_TRUE(m.ok()) << m.status().message();
    return m.ok() ? m.value() : "";
  }

  static std::string dir_, user_home_;
  static std::string alice_sec_, alice_pub_, bob_sec_, bob_pub_, carol_sec_, carol_pub_;
};

std::string PgpTest::dir_, PgpTest::user_home_;
std::string PgpTest::alice_sec_, PgpTest::alice_pub_, PgpTest::bob_sec_, PgpTest::bob_pub_,
    PgpTest::carol_sec_, PgpTest::carol_pub_;

TEST_F(PgpTest, RoundTripInMemoryAndHomeRemoved) {
  const std::string plain = "dana.reyes@example.test";
  std::string armored = Encrypt(alice_pub_, plain);
  ASSERT_TRUE(IsArmoredMessage(armored));
  EXPECT_EQ(armored.find(plain), std::string::npos);
  EXPECT_EQ(armored.rfind("-----BEGIN PGP MESSAGE-----", 0), 0u);

  std::string home;
  {
    auto k = Keyring::LoadSecretKey(Env::Default(), alice_sec_);
    ASSERT_TRUE(k.ok()) << k.status().message();
    home = k.value()->home();
    struct stat st {};
    ASSERT_EQ(stat(home.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(k.value()->fingerprint().size(), 40u);
    std::string out = "stale";
    Status s = k.value()->Decrypt(armored, &out);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(out, plain);
    // A second message through the same keyring.
    s = k.value()->Decrypt(Encrypt(alice_pub_, "second"), &out);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(out, "second");
    SecureWipe(&out);
    EXPECT_TRUE(out.empty());
  }
  EXPECT_NE(access(home.c_str(), F_OK), 0) << home << " still exists";
  // The user's keyring was never written.
  std::string listing = user_home_ + "/pubring.kbx";
  EXPECT_NE(access(listing.c_str(), F_OK), 0);
  std::string privdir = user_home_ + "/private-keys-v1.d";
  EXPECT_NE(access(privdir.c_str(), F_OK), 0);
}

TEST_F(PgpTest, GroupReadableKeyFileRefused) {
  std::string loose = dir_ + "/loose.sec.asc";
  ASSERT_EQ(std::system(("cp " + alice_sec_ + " " + loose).c_str()), 0);
  ASSERT_EQ(chmod(loose.c_str(), 0644), 0);
  auto k = Keyring::LoadSecretKey(Env::Default(), loose);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), Code::kUsage);
  EXPECT_EQ(k.status().message(),
            "PGP key file " + loose + " may be read by group or others; chmod 600 it");
  ASSERT_EQ(chmod(loose.c_str(), 0640), 0);
  EXPECT_EQ(Keyring::LoadSecretKey(Env::Default(), loose).status().code(), Code::kUsage);
}

TEST_F(PgpTest, MissingGarbageAndPublicOnlyKeyFiles) {
  auto missing = Keyring::LoadSecretKey(Env::Default(), dir_ + "/nope.asc");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kUsage);
  EXPECT_NE(missing.status().message().find("nope.asc"), std::string::npos);

  std::string junk = dir_ + "/junk.asc";
  std::ofstream(junk) << "this is not a key\n";
  ASSERT_EQ(chmod(junk.c_str(), 0600), 0);
  auto j = Keyring::LoadSecretKey(Env::Default(), junk);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Code::kFailed);
  EXPECT_EQ(j.status().message().rfind("PGP key file " + junk, 0), 0u) << j.status().message();

  std::string pub_copy = dir_ + "/pub-as-secret.asc";
  ASSERT_EQ(std::system(("cp " + alice_pub_ + " " + pub_copy).c_str()), 0);
  ASSERT_EQ(chmod(pub_copy.c_str(), 0600), 0);
  auto p = Keyring::LoadSecretKey(Env::Default(), pub_copy);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().message(), "PGP key file " + pub_copy + ": holds no secret key");
}

TEST_F(PgpTest, WrongKeyAndBadMessagesFailCleanly) {
  std::string for_bob = Encrypt(bob_pub_, "bob.only@example.test");
  auto k = Keyring::LoadSecretKey(Env::Default(), alice_sec_);
  ASSERT_TRUE(k.ok()) << k.status().message();
  std::string out = "x";
  Status s = k.value()->Decrypt(for_bob, &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kFailed);
  EXPECT_EQ(s.message(), "PGP message is not encrypted to the loaded key");
  EXPECT_TRUE(out.empty());

  s = k.value()->Decrypt(
      "-----BEGIN PGP MESSAGE-----\n\nhQIMA3garbage\n=abcd\n"
      "-----END PGP MESSAGE-----\n",
      &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("garbage"), std::string::npos);
  EXPECT_TRUE(out.empty());

  s = k.value()->Decrypt("plain text", &out);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "not an ASCII-armored PGP message");

  // A tampered message (one base64 character changed in the body) is refused, not half-read.
  std::string good = Encrypt(alice_pub_, "tamper.me@example.test");
  size_t body = good.find("\n\n");
  ASSERT_NE(body, std::string::npos);
  size_t pos = body + 40;
  good[pos] = good[pos] == 'A' ? 'B' : 'A';
  s = k.value()->Decrypt(good, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(out.empty());

  // The keyring still works after failures.
  s = k.value()->Decrypt(Encrypt(alice_pub_, "still@example.test"), &out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(out, "still@example.test");
}

TEST_F(PgpTest, PassphraseProtectedKey) {
  std::string m = Encrypt(carol_pub_, "carol@example.test");
  {
    auto k = Keyring::LoadSecretKey(Env::Default(), carol_sec_);
    ASSERT_TRUE(k.ok()) << k.status().message();
    std::string out;
    Status s = k.value()->Decrypt(m, &out);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.message(), "the PGP key's passphrase is missing or wrong");
  }
  auto k = Keyring::LoadSecretKey(Env::Default(), carol_sec_, "s3cret pass");
  ASSERT_TRUE(k.ok()) << k.status().message();
  std::string out;
  Status s = k.value()->Decrypt(m, &out);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(out, "carol@example.test");
}

TEST(PgpArmor, Detection) {
  EXPECT_TRUE(IsArmoredMessage("-----BEGIN PGP MESSAGE-----\n\nx\n-----END PGP MESSAGE-----"));
  EXPECT_TRUE(IsArmoredMessage("note: -----BEGIN PGP MESSAGE-----"));
  EXPECT_FALSE(IsArmoredMessage("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
  EXPECT_FALSE(IsArmoredMessage("dana@example.test"));
  EXPECT_FALSE(IsArmoredMessage(""));
}

}  // namespace
}  // namespace davault::pgp
