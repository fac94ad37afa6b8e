// ResidueScanner: identifier-shaped text found inside binary noise, in the normal form ingest
// hashes, only for the kinds asked for.
#include "identity/residue_scan.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <utility>

namespace davault::identity {
namespace {

using Findings = std::set<std::pair<Kind, std::string>>;

Findings ScanAll(std::string_view bytes, std::vector<Kind> kinds) {
  ResidueScanner scanner(NormalizeOptions{}, std::move(kinds));
  Findings out;
  scanner.Scan(bytes, [&](Kind k, const std::string& v, size_t) { out.insert({k, v}); });
  return out;
}

std::string Noise(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  // Control bytes only, so noise never forms text of its own.
  for (auto& c : s) c = static_cast<char>(rng() % 0x20);
  return s;
}

TEST(ResidueScannerTest, FindsValuesBetweenBinaryBytesInNormalForm) {
  std::string bytes = Noise(100, 1) + "Dana.Smith@Example.COM" + Noise(50, 2) +
                      "tel: +44 20 7946 0958" + Noise(30, 3) + "{\"visitorId\":\"VisitorAB1234\"}" +
                      Noise(20, 4) + "ip=198.51.100.7;" + Noise(10, 5);
  Findings f = ScanAll(bytes, {Kind::kEmail, Kind::kPhone, Kind::kVisitor, Kind::kIp});
  EXPECT_TRUE(f.count({Kind::kEmail, "dana.smith@example.com"}));
  EXPECT_TRUE(f.count({Kind::kPhone, "+442079460958"}));
  EXPECT_TRUE(f.count({Kind::kVisitor, "VisitorAB1234"}));
  EXPECT_TRUE(f.count({Kind::kIp, "198.51.100.7"}));
}

TEST(ResidueScannerTest, OnlyTheKindsAskedFor) {
  std::string bytes = "dana@example.com VisitorAB1234";
  Findings f = ScanAll(bytes, {Kind::kEmail});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f.begin()->first, Kind::kEmail);
  EXPECT_TRUE(ScanAll(bytes, {}).empty());
}

TEST(ResidueScannerTest, ShortTokensAreNotTriedAsExactIdentifiers) {
  Findings f = ScanAll(std::string("ab12") + '\x01' + "abc123", {Kind::kCustomer});
  EXPECT_FALSE(f.count({Kind::kCustomer, "ab12"}));
  EXPECT_TRUE(f.count({Kind::kCustomer, "abc123"}));
}

TEST(ResidueScannerTest, InvalidUtf8EndsARunAndValidUtf8IsText) {
  // An address right after a stray continuation byte is found; one in valid accented text too.
  Findings f = ScanAll(std::string("\x80\xff") + "zoë@example.org" + "\xc3", {Kind::kEmail});
  EXPECT_TRUE(f.count({Kind::kEmail, "zoë@example.org"}));
}

TEST(ResidueScannerTest, ReportsTheOffsetOfTheRun) {
  std::string bytes = Noise(37, 9) + "VisitorAB1234" + Noise(3, 8);
  ResidueScanner scanner(NormalizeOptions{}, {Kind::kVisitor});
  std::vector<size_t> offsets;
  scanner.Scan(bytes, [&](Kind, const std::string&, size_t off) { offsets.push_back(off); });
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0], 37u);
}

}  // namespace
}  // namespace davault::identity
