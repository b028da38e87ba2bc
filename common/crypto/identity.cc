#include "common/crypto/identity.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/hex.h"
#include "common/crypto/nkeys.h"

namespace unibus::common {
namespace {

constexpr char kKexContext[crypto_kdf_CONTEXTBYTES + 1] = "unibuskx";

absl::StatusOr<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("no identity file at ", path));
  std::string line;
  std::getline(in, line);
  return std::string(absl::StripAsciiWhitespace(line));
}

}  // namespace

void InitSodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok) std::abort();
}

Identity Identity::Generate() {
  InitSodium();
  SecretBytes seed(crypto_sign_SEEDBYTES);
  randombytes_buf(seed.data(), seed.size());
  return std::move(FromSeed(seed.view())).value();
}

absl::StatusOr<Identity> Identity::FromSeed(absl::string_view seed) {
  InitSodium();
  if (seed.size() != crypto_sign_SEEDBYTES) {
    return absl::InvalidArgumentError("identity seed must be 32 bytes");
  }
  Identity id;
  id.seed_ = SecretBytes(seed);
  id.sign_secret_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  id.sign_pub_.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(id.sign_pub_.data()),
                           id.sign_secret_.data(), id.seed_.data());
  SecretBytes kex_seed(crypto_box_SEEDBYTES);
  crypto_kdf_derive_from_key(kex_seed.data(), kex_seed.size(), 1, kKexContext, id.seed_.data());
  id.kex_secret_ = SecretBytes(crypto_box_SECRETKEYBYTES);
  id.kex_pub_.resize(crypto_box_PUBLICKEYBYTES);
  crypto_box_seed_keypair(reinterpret_cast<unsigned char*>(id.kex_pub_.data()),
                          id.kex_secret_.data(), kex_seed.data());
  return id;
}

absl::StatusOr<Identity> Identity::Load(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("no identity file at ", path));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("identity file ", path, " is readable by others; run: chmod 600 ", path));
  }
  absl::StatusOr<std::string> line = ReadFirstLine(path);
  if (!line.ok()) return line.status();
  absl::StatusOr<SecretBytes> seed = nkeys::DecodeSeed(nkeys::KeyType::kUser, *line);
  sodium_memzero(line->data(), line->size());
  if (!seed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " is not a valid identity file (expected a NATS user seed \"SU…\" on the first line)"));
  }
  return FromSeed(seed->view());
}

absl::Status Identity::Save(const std::string& path) const {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, " exists; not overwriting it"));
    }
    return absl::PermissionDeniedError(absl::StrCat("cannot create ", path));
  }
  SecretBytes seed_text = nkey_seed();
  std::string body = absl::StrCat(seed_text.view(), "\n");
  bool ok = write(fd, body.data(), body.size()) == static_cast<ssize_t>(body.size());
  sodium_memzero(body.data(), body.size());
  ok = fsync(fd) == 0 && ok;
  ok = close(fd) == 0 && ok;
  if (!ok) {
    unlink(path.c_str());
    return absl::DataLossError(absl::StrCat("could not write ", path));
  }
  return absl::OkStatus();
}

std::string Identity::sign_pub_hex() const { return HexEncode(sign_pub_); }
std::string Identity::kex_pub_hex() const { return HexEncode(kex_pub_); }

std::string Identity::nkey_public() const {
  return nkeys::EncodePublic(nkeys::KeyType::kUser, sign_pub_);
}

SecretBytes Identity::nkey_seed() const {
  std::string text = nkeys::EncodeSeed(nkeys::KeyType::kUser, seed_.view());
  SecretBytes out(text);
  sodium_memzero(text.data(), text.size());
  return out;
}

std::string Identity::Sign(absl::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       sign_secret_.data());
  return sig;
}

bool VerifySignature(absl::string_view public_key, absl::string_view message,
                     absl::string_view signature) {
  InitSodium();
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) {
    return false;
  }
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(public_key.data())) == 0;
}

}  // namespace unibus::common
