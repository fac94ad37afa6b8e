// Tests for rekey in the archive repository: either key opens a half-done rekey, records carry
// either wrapping-key generation, the finished rekey leaves only the new key working, and the
// pseudonyms and signing key never change.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "store/archive.h"

namespace davault::store {
namespace {

class RekeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/davault-rekey-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    dir_ = root_ + "/archive";
    k1_ = KeyFile("k1");
    k2_ = KeyFile("k2");
    bool created = false;
    ASSERT_TRUE(Archive::Create(env_, dir_, k1_, &created).ok());
    auto a = Open(k1_);
    for (int f = 0; f < 3; ++f) {
      FileMeta m;
      m.name = "f" + std::to_string(f);
      m.type = 3;
      m.content_hash = crypto::PlainHash(m.name);
      auto b = a->BeginIngest(m);
      ASSERT_TRUE(b.ok());
      for (int r = 0; r < 2; ++r) {
        std::string raw = "{\"rec\":" + std::to_string(f * 2 + r) + "}";
        raws_.push_back(raw);
        RecordInput in;
        in.type = 3;
        in.natural_key = a->NaturalKeyHash(3, "conv-" + std::to_string(f * 2 + r));
        in.raw = raw;
        in.idents.push_back(
            {a->IdentifierHash(1, "p" + std::to_string(f) + "@x.test"), 1, "contacts.email"});
        ASSERT_TRUE(b.value()->Add(in).ok());
      }
      ASSERT_TRUE(b.value()->Commit(2).ok());
    }
    ident_ = a->IdentifierHash(1, "p0@x.test");
    pk_ = a->signer().public_key();
  }
  void TearDown() override { (void)std::system(("rm -rf " + root_).c_str()); }

  KeySource KeyFile(const std::string& name) {
    KeySource k;
    k.type = KeySource::Type::kKeyFile;
    k.key_file = root_ + "/" + name;
    return k;
  }
  std::unique_ptr<Archive> Open(const KeySource& k) {
    auto a = Archive::Open(env_, dir_, k, Access::kWrite, 1000);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? std::move(a.value()) : nullptr;
  }
  // Every record decrypts to what was ingested.
  void ExpectAllReadable(Archive& a) {
    for (size_t i = 0; i < raws_.size(); ++i) {
      auto p = a.ReadPayloads(static_cast<int64_t>(i + 1));
      ASSERT_TRUE(p.ok()) << p.status().message();
      EXPECT_EQ(p.value().front(), raws_[i]);
    }
  }

  Env* env_ = Env::Default();
  std::string root_, dir_;
  KeySource k1_, k2_;
  std::vector<std::string> raws_;
  crypto::Hash ident_{};
  crypto::PublicKey pk_{};
};

TEST_F(RekeyTest, HalfDoneRekeyOpensWithEitherKeyAndFinishesUnderTheNewOne) {
  {
    auto a = Open(k1_);
    ASSERT_TRUE(a->Begin().ok());
    bool created = false;
    ASSERT_TRUE(a->StartRekey(k2_, &created).ok());
    EXPECT_TRUE(created);
    ASSERT_TRUE(a->Commit().ok());
    auto n = a->RewrapBatch(2);
    ASSERT_TRUE(n.ok()) << n.status().message();
    EXPECT_EQ(n.value(), 2);
    // The process stops here (as if killed between batches).
  }
  struct stat st;
  ASSERT_EQ(::stat(k2_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (const KeySource* k : {&k1_, &k2_}) {
    auto a = Open(*k);
    ASSERT_NE(a, nullptr);
    auto s = a->GetRekeyState();
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(s.value().in_progress);
    EXPECT_EQ(s.value().from_generation, 1);
    EXPECT_EQ(s.value().to_generation, 2);
    EXPECT_EQ(s.value().records_left, 4);
    ExpectAllReadable(*a);
  }
  {
    // Resumed with the new key as the archive key: the old one may be gone by now.
    auto a = Open(k2_);
    ASSERT_TRUE(a->Begin().ok());
    bool created = true;
    ASSERT_TRUE(a->StartRekey(k2_, &created).ok());
    EXPECT_FALSE(created);
    a->Rollback();
    int64_t total = 0;
    while (true) {
      auto n = a->RewrapBatch(3);
      ASSERT_TRUE(n.ok());
      if (n.value() == 0) break;
      total += n.value();
    }
    EXPECT_EQ(total, 4);
    ASSERT_TRUE(a->Begin().ok());
    ASSERT_TRUE(a->FinishRekeyInTransaction().ok());
    ASSERT_TRUE(a->Commit().ok());
  }
  auto old = Archive::Open(env_, dir_, k1_, Access::kRead, 1000);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.status().message().find("wrong key"), std::string::npos);
  auto a = Open(k2_);
  auto s = a->GetRekeyState();
  EXPECT_FALSE(s.value().in_progress);
  EXPECT_EQ(s.value().to_generation, 2);
  EXPECT_EQ(s.value().records_left, 0);
  ExpectAllReadable(*a);
  EXPECT_EQ(a->IdentifierHash(1, "p0@x.test"), ident_);
  EXPECT_EQ(a->signer().public_key(), pk_);
  EXPECT_EQ(a->Find({ident_}).value().size(), 2u);
  EXPECT_FALSE(a->GetMeta("rekey_old").value().has_value());
  EXPECT_FALSE(a->GetMeta("rekey_new").value().has_value());
}

TEST_F(RekeyTest, ResumeWithAnotherNewKeyAndEarlyFinishAreRefused) {
  auto a = Open(k1_);
  ASSERT_TRUE(a->Begin().ok());
  bool created = false;
  ASSERT_TRUE(a->StartRekey(k2_, &created).ok());
  ASSERT_TRUE(a->Commit().ok());
  ASSERT_TRUE(a->RewrapBatch(1).ok());
  // Finishing with records still on the old key would make them unreadable.
  ASSERT_TRUE(a->Begin().ok());
  Status early = a->FinishRekeyInTransaction();
  a->Rollback();
  ASSERT_FALSE(early.ok());
  EXPECT_NE(early.message().find("5 records are still wrapped by the old key"), std::string::npos);
  a.reset();
  a = Open(k1_);
  ASSERT_TRUE(a->Begin().ok());
  KeySource k3 = KeyFile("k3");
  std::ofstream(k3.key_file) << "a third key\n";
  ::chmod(k3.key_file.c_str(), 0600);
  Status s = a->StartRekey(k3, &created);
  a->Rollback();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a rekey to another new key is in progress"), std::string::npos);
  ExpectAllReadable(*a);
}

TEST_F(RekeyTest, RecordsIngestedDuringARekeyUseTheNewKey) {
  auto a = Open(k1_);
  ASSERT_TRUE(a->Begin().ok());
  bool created = false;
  ASSERT_TRUE(a->StartRekey(k2_, &created).ok());
  ASSERT_TRUE(a->Commit().ok());
  FileMeta m;
  m.name = "late";
  m.type = 3;
  m.content_hash = crypto::PlainHash(m.name);
  auto b = a->BeginIngest(m);
  RecordInput in;
  in.type = 3;
  in.natural_key = a->NaturalKeyHash(3, "conv-late");
  raws_.push_back("{\"late\":1}");
  in.raw = raws_.back();
  ASSERT_TRUE(b.value()->Add(in).ok());
  ASSERT_TRUE(b.value()->Commit(1).ok());
  EXPECT_EQ(a->GetRekeyState().value().records_left, 6);  // the six old ones only
  a.reset();
  a = Open(k1_);
  ExpectAllReadable(*a);
}

TEST_F(RekeyTest, NewKeyFileInsideTheArchiveAndMissingNewKeyAreRefused) {
  auto a = Open(k1_);
  ASSERT_TRUE(a->Begin().ok());
  bool created = false;
  KeySource inside;
  inside.type = KeySource::Type::kKeyFile;
  inside.key_file = dir_ + "/new.key";
  Status s = a->StartRekey(inside, &created);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUsage);
  EXPECT_FALSE(env_->Exists(inside.key_file));
  s = a->StartRekey(KeySource(), &created);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kUsage);
  a->Rollback();
  EXPECT_FALSE(a->GetRekeyState().value().in_progress);
}

}  // namespace
}  // namespace davault::store
