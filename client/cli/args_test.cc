#include "client/cli/args.h"

#include "gtest/gtest.h"

namespace unibus::client::cli {
namespace {

const FlagSpec kSpec = {{"out", "identity"}, {"json"}};

TEST(ParsedArgsTest, AcceptsSpaceAndEqualsForms) {
  absl::StatusOr<ParsedArgs> args =
      ParsedArgs::Parse({"--out", "a b", "--identity=x=y", "--json", "pos"}, kSpec);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Value("out"), "a b");
  EXPECT_EQ(args->Value("identity"), "x=y");
  EXPECT_TRUE(args->Has("json"));
  EXPECT_FALSE(args->Has("help"));
  EXPECT_EQ(args->positional(), std::vector<std::string>{"pos"});
}

TEST(ParsedArgsTest, AbsentFlagsHaveNoValue) {
  absl::StatusOr<ParsedArgs> args = ParsedArgs::Parse({}, kSpec);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->Value("out"), std::nullopt);
  EXPECT_FALSE(args->Has("json"));
}

TEST(ParsedArgsTest, HelpIsAlwaysAccepted) {
  EXPECT_TRUE(ParsedArgs::Parse({"-h"}, kSpec)->Has("help"));
  EXPECT_TRUE(ParsedArgs::Parse({"--help"}, kSpec)->Has("help"));
}

TEST(ParsedArgsTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParsedArgs> args = ParsedArgs::Parse({"--json", "--", "--out", "-"}, kSpec);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->positional(), (std::vector<std::string>{"--out", "-"}));
  EXPECT_EQ(args->Value("out"), std::nullopt);
}

TEST(ParsedArgsTest, RejectsUnknownFlag) {
  absl::StatusOr<ParsedArgs> args = ParsedArgs::Parse({"--ot", "x"}, kSpec);
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(args.status().message().find("--ot"), std::string::npos);
  EXPECT_FALSE(ParsedArgs::Parse({"-o", "x"}, kSpec).ok());
}

TEST(ParsedArgsTest, ShortAliasesStandForTheirLongFlag) {
  FlagSpec spec = kSpec;
  spec.short_flags = {{'o', "out"}};
  absl::StatusOr<ParsedArgs> args = ParsedArgs::Parse({"-o", "-", "x"}, spec);
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->Value("out"), "-");
  EXPECT_EQ(args->positional(), std::vector<std::string>{"x"});
  // The alias and the long flag are one flag; other letters and bundles stay unknown.
  EXPECT_FALSE(ParsedArgs::Parse({"-o", "a", "--out", "b"}, spec).ok());
  EXPECT_FALSE(ParsedArgs::Parse({"-x", "a"}, spec).ok());
  EXPECT_FALSE(ParsedArgs::Parse({"-oa"}, spec).ok());
  EXPECT_FALSE(ParsedArgs::Parse({"-o"}, spec).ok());
}

TEST(ParsedArgsTest, RejectsValueFlagWithoutValue) {
  absl::StatusOr<ParsedArgs> args = ParsedArgs::Parse({"--out"}, kSpec);
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(args.status().message().find("needs a value"), std::string::npos);
}

TEST(ParsedArgsTest, RejectsValueForBoolFlag) {
  EXPECT_EQ(ParsedArgs::Parse({"--json=yes"}, kSpec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParsedArgsTest, RejectsRepeatedFlag) {
  EXPECT_EQ(ParsedArgs::Parse({"--out", "a", "--out=b"}, kSpec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace unibus::client::cli
