#include "broker_auth/cli/keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/nkeys.h"
#include "common/files/files.h"

namespace unibus::broker_auth::cli {

absl::Status WriteSecret(const std::string& path, absl::string_view text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat("cannot create ", path));
  std::string line = absl::StrCat(text, "\n");
  bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ok = fsync(fd) == 0 && ok;
  ok = close(fd) == 0 && ok;
  if (!ok) return absl::DataLossError(absl::StrCat("could not write ", path));
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSecretLine(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat("missing ", path));
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(path, " is readable by others"));
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

absl::Status InitKeys(const std::string& dir) {
  mkdir(dir.c_str(), 0700);
  for (const char* name : {"service.id", "system.id", "stream.id", "feeds.id", "control.id"}) {
    std::string path = absl::StrCat(dir, "/", name);
    if (!common::FileExists(path)) {
      if (absl::Status s = common::Identity::Generate().Save(path); !s.ok()) return s;
    }
  }
  std::string issuer = dir + "/issuer.nk";
  if (!common::FileExists(issuer)) {
    common::Identity key = common::Identity::Generate();
    std::string seed = common::nkeys::EncodeSeed(common::nkeys::KeyType::kAccount, key.seed().view());
    if (absl::Status s = WriteSecret(issuer, seed); !s.ok()) return s;
  }
  std::string xkey = dir + "/xkey.nk";
  if (!common::FileExists(xkey)) {
    if (absl::Status s = WriteSecret(xkey, callout::CurveKey::Generate().SeedText().view());
        !s.ok()) {
      return s;
    }
  }
  std::string control_pub = dir + "/control.pub";
  if (!common::FileExists(control_pub)) {
    absl::StatusOr<common::Identity> control = common::Identity::Load(dir + "/control.id");
    if (!control.ok()) return control.status();
    std::ofstream(control_pub) << control->nkey_public() << "\n";
    chmod(control_pub.c_str(), 0644);
  }
  return absl::OkStatus();
}

absl::StatusOr<AuthdKeys> LoadKeys(const std::string& dir) {
  absl::StatusOr<common::Identity> service = common::Identity::Load(dir + "/service.id");
  if (!service.ok()) return service.status();
  absl::StatusOr<common::Identity> system = common::Identity::Load(dir + "/system.id");
  if (!system.ok()) return system.status();
  absl::StatusOr<common::Identity> stream = common::Identity::Load(dir + "/stream.id");
  if (!stream.ok()) return stream.status();
  absl::StatusOr<common::Identity> feeds = common::Identity::Load(dir + "/feeds.id");
  if (!feeds.ok()) return feeds.status();
  absl::StatusOr<std::string> issuer_text = ReadSecretLine(dir + "/issuer.nk");
  if (!issuer_text.ok()) return issuer_text.status();
  absl::StatusOr<common::SecretBytes> issuer_seed =
      common::nkeys::DecodeSeed(common::nkeys::KeyType::kAccount, *issuer_text);
  if (!issuer_seed.ok()) return absl::InvalidArgumentError(dir + "/issuer.nk is not an SA seed");
  absl::StatusOr<common::Identity> issuer = common::Identity::FromSeed(issuer_seed->view());
  if (!issuer.ok()) return issuer.status();
  absl::StatusOr<std::string> xkey_text = ReadSecretLine(dir + "/xkey.nk");
  if (!xkey_text.ok()) return xkey_text.status();
  absl::StatusOr<callout::CurveKey> xkey = callout::CurveKey::FromSeed(*xkey_text);
  if (!xkey.ok()) return absl::InvalidArgumentError(dir + "/xkey.nk is not an SX seed");
  std::string control;
  if (common::FileExists(dir + "/control.pub")) {
    absl::StatusOr<std::string> text = common::ReadFile(dir + "/control.pub");
    if (!text.ok()) return text.status();
    control = std::string(absl::StripAsciiWhitespace(*text));
    if (!common::nkeys::DecodePublic(common::nkeys::KeyType::kUser, control).ok()) {
      return absl::InvalidArgumentError(dir + "/control.pub is not a user nkey");
    }
  } else if (common::FileExists(dir + "/control.id")) {
    absl::StatusOr<common::Identity> loaded = common::Identity::Load(dir + "/control.id");
    if (!loaded.ok()) return loaded.status();
    control = loaded->nkey_public();
  }
  return AuthdKeys{*std::move(service), *std::move(system), *std::move(stream), *std::move(feeds),
                   *std::move(issuer),
                   *std::move(xkey), std::move(control)};
}

}  // namespace unibus::broker_auth::cli
