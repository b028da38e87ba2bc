#include "common/testing/nats_server.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace unibus::common::testing {

std::string NatsServerPath() {
  const char* env = std::getenv("UNIBUS_NATS_SERVER");
  return env != nullptr && *env != '\0' ? env : "/usr/sbin/nats-server";
}

int ReadNatsPort(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return -1;
  int port = -1;
  while (dirent* e = readdir(d)) {
    if (!absl::EndsWith(e->d_name, ".ports")) continue;
    std::smatch m;
    std::string text = ReadFileOrEmpty(absl::StrCat(dir, "/", e->d_name));
    if (std::regex_search(text, m, std::regex(R"(nats://[^:"]+:(\d+))"))) {
      port = std::atoi(m[1].str().c_str());
    }
  }
  closedir(d);
  return port;
}

void ForgetNatsPorts(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, ".ports")) unlink(absl::StrCat(dir, "/", e->d_name).c_str());
  }
  closedir(d);
}

absl::StatusOr<std::unique_ptr<JetStreamServer>> JetStreamServer::Start(const std::string& dir) {
  std::unique_ptr<JetStreamServer> server(new JetStreamServer(dir));
  mkdir(dir.c_str(), 0700);
  if (absl::Status s = server->Launch(-1); !s.ok()) return s;
  return server;
}

absl::Status JetStreamServer::Restart() {
  process_.Stop();
  return Launch(port_);
}

absl::Status JetStreamServer::Launch(int port) {
  std::string ports_dir = dir_ + "/ports";
  mkdir(ports_dir.c_str(), 0700);
  ForgetNatsPorts(ports_dir);
  process_.Start({NatsServerPath(), "-a", "127.0.0.1", "-p", absl::StrCat(port), "-js", "-sd",
                  dir_ + "/js", "--ports_file_dir", ports_dir},
                 dir_ + "/nats.log");
  absl::Status s =
      process_.WaitUntil([&] { return ReadNatsPort(ports_dir) > 0; }, absl::Seconds(30));
  if (!s.ok()) return s;
  port_ = ReadNatsPort(ports_dir);
  url_ = absl::StrCat("nats://127.0.0.1:", port_);
  return absl::OkStatus();
}

}  // namespace unibus::common::testing
