// Tests for the crypto module: AEAD binding, key wrapping, KDF separation, signatures, streams.
#include "crypto/crypto.h"

#include <gtest/gtest.h>

namespace davault::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Init().ok()); }
};

TEST_F(CryptoTest, SealOpenRoundTripAndAssociatedDataBinds) {
  Key k = Key::Random();
  std::string sealed = Seal(k, "hello record", "archive|file|1");
  EXPECT_EQ(sealed.size(), 12 + kAeadOverhead);
  EXPECT_EQ(Open(k, sealed, "archive|file|1").value(), "hello record");
  EXPECT_FALSE(Open(k, sealed, "archive|file|2").ok());
  EXPECT_FALSE(Open(Key::Random(), sealed, "archive|file|1").ok());
}

TEST_F(CryptoTest, EveryFlippedByteFailsAuthentication) {
  Key k = Key::Random();
  std::string sealed = Seal(k, "payload", "ad");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string t = sealed;
    t[i] ^= 0x01;
    EXPECT_FALSE(Open(k, t, "ad").ok()) << "byte " << i;
  }
  EXPECT_FALSE(Open(k, sealed.substr(0, sealed.size() - 1), "ad").ok());
  EXPECT_FALSE(Open(k, sealed + "x", "ad").ok());
}

TEST_F(CryptoTest, WrapUnwrap) {
  Key wrap = Key::Random();
  Key rec = Key::Random();
  std::string w = WrapKey(wrap, rec, "rec-7");
  auto back = UnwrapKey(wrap, w, "rec-7");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back.value().view(), rec.view());
  EXPECT_FALSE(UnwrapKey(wrap, w, "rec-8").ok());
}

TEST_F(CryptoTest, ScratchKeyRandomizeAndUnwrapInto) {
  Key wrap = Key::Random();
  Key scratch;  // zero key, refilled in place
  std::string zero(Key::kSize, '\0');
  EXPECT_EQ(scratch.view(), zero);
  const unsigned char* where = scratch.data();
  scratch.Randomize();
  EXPECT_NE(scratch.view(), zero);
  EXPECT_EQ(scratch.data(), where);  // same guarded memory, no new allocation
  std::string first(scratch.view());
  std::string w = WrapKey(wrap, scratch, "rec-1");
  scratch.Randomize();
  EXPECT_NE(std::string(scratch.view()), first);
  ASSERT_TRUE(UnwrapKeyInto(wrap, w, "rec-1", &scratch).ok());
  EXPECT_EQ(std::string(scratch.view()), first);
  Status bad = UnwrapKeyInto(wrap, w, "rec-2", &scratch);
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.message(), "authentication failed");
  EXPECT_EQ(scratch.view(), zero);  // wiped on failure
  EXPECT_FALSE(UnwrapKeyInto(wrap, w.substr(1), "rec-1", &scratch).ok());
}

TEST_F(CryptoTest, SubkeysDifferByIdAndContext) {
  Key master = Key::Random();
  Key a = DeriveSubkey(master, 1, "dvsubkey");
  Key b = DeriveSubkey(master, 2, "dvsubkey");
  Key c = DeriveSubkey(master, 1, "dvother_");
  EXPECT_NE(a.view(), b.view());
  EXPECT_NE(a.view(), c.view());
  EXPECT_EQ(a.view(), DeriveSubkey(master, 1, "dvsubkey").view());
}

TEST_F(CryptoTest, KeyedHashDependsOnKey) {
  Key a = Key::Random(), b = Key::Random();
  EXPECT_NE(KeyedHash(a, "x"), KeyedHash(b, "x"));
  EXPECT_EQ(KeyedHash(a, "x"), KeyedHash(a, "x"));
  HashStream hs;
  hs.Update("ab");
  hs.Update("c");
  EXPECT_EQ(hs.Final(), PlainHash("abc"));
}

TEST_F(CryptoTest, PassphraseDerivationIsDeterministicPerSalt) {
  PassphraseParams p = NewPassphraseParams(true);
  Key a = KeyFromPassphrase("correct horse", p).value();
  Key b = KeyFromPassphrase("correct horse", p).value();
  Key c = KeyFromPassphrase("wrong horse", p).value();
  EXPECT_EQ(a.view(), b.view());
  EXPECT_NE(a.view(), c.view());
}

TEST_F(CryptoTest, SignVerify) {
  Signer s(Key::Random());
  Signature sig = s.Sign("entry");
  EXPECT_TRUE(VerifySignature(s.public_key(), "entry", sig));
  EXPECT_FALSE(VerifySignature(s.public_key(), "entrY", sig));
}

TEST_F(CryptoTest, StreamRoundTripDetectsTruncation) {
  Key k = Key::Random();
  StreamSealer sealer(k);
  std::string c1 = sealer.Push("part one ", false);
  std::string c2 = sealer.Push("part two", true);
  auto opener = StreamOpener::Create(k, sealer.header()).value();
  bool fin = false;
  EXPECT_EQ(opener->Pull(c1, &fin).value(), "part one ");
  EXPECT_FALSE(fin);
  EXPECT_EQ(opener->Pull(c2, &fin).value(), "part two");
  EXPECT_TRUE(fin);
  auto opener2 = StreamOpener::Create(k, sealer.header()).value();
  EXPECT_FALSE(opener2->Pull(c2, &fin).ok());  // out of order
}

TEST_F(CryptoTest, HexAndBase64) {
  EXPECT_EQ(ToHex(std::string("\x01\xab", 2)), "01ab");
  EXPECT_EQ(FromHex("01ab").value(), std::string("\x01\xab", 2));
  EXPECT_FALSE(FromHex("0g").ok());
  EXPECT_EQ(ToBase64("any carnal pleas"), "YW55IGNhcm5hbCBwbGVhcw==");
  EXPECT_EQ(FromBase64("YW55IGNhcm5hbCBwbGVhcw==").value(), "any carnal pleas");
}

}  // namespace
}  // namespace davault::crypto

TEST(Sha256, KnownVectorsAndStreaming) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(davault::crypto::ToHex(davault::crypto::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(davault::crypto::ToHex(davault::crypto::Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  davault::crypto::Sha256Stream s;
  s.Update("a");
  s.Update("bc");
  EXPECT_EQ(davault::crypto::ToHex(s.Final()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
