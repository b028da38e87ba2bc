#include "client/cli/cli_testing.h"

#include <stdlib.h>

#include <cstdlib>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace unibus::client::cli::testing {

std::string NewTempDir(const std::string& prefix) {
  std::string pattern = std::string(std::getenv("TEST_TMPDIR")) + "/" + prefix + ".XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  EXPECT_NE(mkdtemp(buf.data()), nullptr) << pattern;
  return buf.data();
}
namespace {

std::function<std::optional<std::string>(const std::string&)> FakeEnv(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

CliResult RunCli(CommandFn fn, const std::vector<std::string>& args, const Env& env,
                 const std::vector<std::string>& input) {
  std::ostringstream out, err;
  auto lines = std::make_shared<std::deque<std::string>>(input.begin(), input.end());
  Context ctx;
  ctx.out = &out;
  ctx.err = &err;
  ctx.getenv = FakeEnv(env);
  ctx.read_line = [lines](std::string* line) {
    if (lines->empty()) return false;
    *line = lines->front();
    lines->pop_front();
    return true;
  };
  ctx.interrupted = [] { return false; };
  CliResult r;
  r.code = fn(args, ctx);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string SharedBuffer::contents() const {
  absl::MutexLock lock(&mu_);
  return data_;
}

bool SharedBuffer::WaitFor(absl::string_view needle, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto found = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return absl::StrContains(data_, needle); };
  return mu_.AwaitWithTimeout(absl::Condition(&found), timeout);
}

SharedBuffer::int_type SharedBuffer::overflow(int_type c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  absl::MutexLock lock(&mu_);
  data_.push_back(traits_type::to_char_type(c));
  return c;
}

std::streamsize SharedBuffer::xsputn(const char* s, std::streamsize n) {
  absl::MutexLock lock(&mu_);
  data_.append(s, static_cast<size_t>(n));
  return n;
}

BackgroundCli::BackgroundCli(CommandFn fn, std::vector<std::string> args, Env env) {
  Context ctx;
  ctx.out = &out_stream_;
  ctx.err = &err_stream_;
  ctx.getenv = FakeEnv(std::move(env));
  ctx.read_line = [this](std::string* line) { return ReadLine(line); };
  ctx.interrupted = [this] {
    absl::MutexLock lock(&mu_);
    return interrupted_;
  };
  thread_ = std::thread([this, fn, args = std::move(args), ctx = std::move(ctx)] {
    code_ = fn(args, ctx);
  });
}

BackgroundCli::~BackgroundCli() {
  if (!thread_.joinable()) return;
  CloseInput();
  Interrupt();
  thread_.join();
}

void BackgroundCli::Type(const std::string& line) {
  absl::MutexLock lock(&mu_);
  input_.push_back(line);
}

void BackgroundCli::CloseInput() {
  absl::MutexLock lock(&mu_);
  input_closed_ = true;
}

void BackgroundCli::Interrupt() {
  absl::MutexLock lock(&mu_);
  interrupted_ = true;
}

bool BackgroundCli::ReadLine(std::string* line) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !input_.empty() || input_closed_ || interrupted_;
  };
  mu_.Await(absl::Condition(&ready));
  if (input_.empty()) return false;
  *line = input_.front();
  input_.pop_front();
  return true;
}

CliResult BackgroundCli::Finish() {
  if (thread_.joinable()) thread_.join();
  return CliResult{code_, out_.contents(), err_.contents()};
}

}  // namespace unibus::client::cli::testing
