#include "client/cli/file_name.h"

#include <string>

#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

const std::string kAddress = "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef";

std::string Safe(absl::string_view name) { return SafeFileName(name, kAddress); }

TEST(SafeFileNameTest, KeepsOrdinaryNames) {
  EXPECT_EQ(Safe("report.pdf"), "report.pdf");
  EXPECT_EQ(Safe("Grüße 2024 (final).tar.gz"), "Grüße 2024 (final).tar.gz");
  EXPECT_EQ(Safe("日本語.txt"), "日本語.txt");
}

TEST(SafeFileNameTest, KeepsOnlyTheLastPathComponent) {
  EXPECT_EQ(Safe("../../.ssh/authorized_keys"), "authorized_keys");
  EXPECT_EQ(Safe("/etc/passwd"), "passwd");
  EXPECT_EQ(Safe("..\\..\\windows\\system.ini"), "system.ini");
  EXPECT_EQ(Safe("dir/"), "blob-0123456789ab");
}

TEST(SafeFileNameTest, DotsAndDashesInFrontGetAnUnderscore) {
  EXPECT_EQ(Safe("."), "_.");
  EXPECT_EQ(Safe(".."), "_..");
  EXPECT_EQ(Safe("a/.."), "_..");
  EXPECT_EQ(Safe(".bashrc"), "_.bashrc");
  EXPECT_EQ(Safe("-rf"), "_-rf");
  EXPECT_EQ(Safe("a.b"), "a.b");
}

TEST(SafeFileNameTest, NeutralizesControlsDirectionMarksAndBrokenUtf8) {
  EXPECT_EQ(Safe("a\nb\tc\x1b[2Jd"), "a_b_c_[2Jd");
  EXPECT_EQ(Safe("nul\0x"), "nul");  // a C string ends at NUL
  EXPECT_EQ(Safe(std::string("nul\0x", 5)), "nul_x");
  EXPECT_EQ(Safe("del\x7f"), "del_");
  EXPECT_EQ(Safe("csi\xc2\x9b" "31m"), "csi_31m");                 // C1 control U+009B
  EXPECT_EQ(Safe("invoice\xe2\x80\xae" "fdp.exe"), "invoice_fdp.exe");  // U+202E
  EXPECT_EQ(Safe("zero\xe2\x80\x8bwidth"), "zero_width");              // U+200B
  EXPECT_EQ(Safe("line\xe2\x80\xa8sep"), "line_sep");                  // U+2028
  EXPECT_EQ(Safe("bom\xef\xbb\xbf.txt"), "bom_.txt");                  // U+FEFF
  EXPECT_EQ(Safe("alm\xd8\x9c.txt"), "alm_.txt");                       // U+061C
  EXPECT_EQ(Safe("iso\xe9.txt"), "iso_.txt");                      // Latin-1, not UTF-8
  EXPECT_EQ(Safe("over\xc0\xaf" "long"), "over__long");           // overlong '/'
  EXPECT_EQ(Safe("cut\xe2\x82"), "cut__");
}

TEST(SafeFileNameTest, EmptyOrBlankFallsBackToTheAddress) {
  EXPECT_EQ(Safe(""), "blob-0123456789ab");
  EXPECT_EQ(Safe("   "), "blob-0123456789ab");
  EXPECT_EQ(SafeFileName("", "zz-top!"), "blob");
  EXPECT_EQ(SafeFileName("", "../ab/cd"), "blob-abcd");
}

TEST(SafeFileNameTest, LongNamesAreCutKeepingTheExtension) {
  std::string name = Safe(std::string(1000, 'x') + ".pdf");
  EXPECT_EQ(name.size(), kMaxFileNameBytes);
  EXPECT_EQ(name.substr(name.size() - 5), "x.pdf");
  // Not inside a multi-byte character.
  std::string umlauts;
  for (int i = 0; i < 300; ++i) umlauts += "ü";
  std::string cut = Safe(umlauts);
  EXPECT_LE(cut.size(), kMaxFileNameBytes);
  EXPECT_EQ(cut.size() % 2, 0u);
  EXPECT_EQ(Safe(cut), cut);  // still valid UTF-8
  // An overlong "extension" is not kept.
  std::string dotted = Safe("a." + std::string(500, 'e'));
  EXPECT_EQ(dotted.size(), kMaxFileNameBytes);
  EXPECT_EQ(dotted.substr(0, 2), "a.");
}

TEST(NumberedFileNameTest, NumbersBeforeTheExtension) {
  EXPECT_EQ(NumberedFileName("report.pdf", 0), "report.pdf");
  EXPECT_EQ(NumberedFileName("report.pdf", 1), "report (1).pdf");
  EXPECT_EQ(NumberedFileName("archive.tar.gz", 2), "archive.tar (2).gz");
  EXPECT_EQ(NumberedFileName("notes", 3), "notes (3)");
  EXPECT_EQ(NumberedFileName("_.bashrc", 1), "_ (1).bashrc");
}

}  // namespace
}  // namespace unibus::client::cli
