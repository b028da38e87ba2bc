#include "broker_auth/callout/jwt.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "broker_auth/callout/base64url.h"

namespace unibus::broker_auth::callout {
namespace {

constexpr char kHeader[] = R"({"typ":"JWT","alg":"ed25519-nkey"})";

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view b64, absl::string_view what) {
  std::optional<std::string> raw = Base64Decode(b64);
  if (!raw.has_value()) return absl::InvalidArgumentError(absl::StrCat("JWT ", what, " is not base64"));
  nlohmann::json json = nlohmann::json::parse(*raw, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return absl::InvalidArgumentError(absl::StrCat("JWT ", what, " is not a JSON object"));
  return json;
}

absl::Status CheckHeader(const nlohmann::json& header) {
  auto typ = header.find("typ");
  auto alg = header.find("alg");
  if (typ == header.end() || !typ->is_string() ||
      absl::AsciiStrToUpper(typ->get<std::string>()) != "JWT") {
    return absl::InvalidArgumentError("JWT header typ is not JWT");
  }
  if (alg == header.end() || !alg->is_string() ||
      (alg->get<std::string>() != "ed25519-nkey" && alg->get<std::string>() != "ed25519")) {
    return absl::InvalidArgumentError("JWT header alg is not ed25519-nkey");
  }
  return absl::OkStatus();
}

// `claims[key]` as Unix seconds: absent → 0; present but not an integer → INVALID_ARGUMENT
// (a time we cannot read must never be ignored).
absl::StatusOr<int64_t> TimeClaim(const nlohmann::json& claims, const char* key) {
  auto it = claims.find(key);
  if (it == claims.end() || it->is_null()) return 0;
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(absl::StrCat("JWT claim ", key, " is not an integer"));
  }
  return it->get<int64_t>();
}

absl::Status CheckTimes(const nlohmann::json& claims, absl::Time now) {
  int64_t unix_now = absl::ToUnixSeconds(now);
  absl::StatusOr<int64_t> exp = TimeClaim(claims, "exp");
  if (!exp.ok()) return exp.status();
  if (*exp != 0 && *exp < unix_now) return absl::DeadlineExceededError("JWT has expired");
  absl::StatusOr<int64_t> nbf = TimeClaim(claims, "nbf");
  if (!nbf.ok()) return nbf.status();
  if (*nbf > unix_now) return absl::InvalidArgumentError("JWT is not valid yet");
  return absl::OkStatus();
}

}  // namespace

std::string NkeyOf(const common::Identity& key, common::nkeys::KeyType type) {
  return common::nkeys::EncodePublic(type, key.sign_pub());
}

std::string EncodeJwt(const nlohmann::json& claims, const common::Identity& issuer) {
  std::string signing_input = absl::StrCat(Base64UrlEncode(kHeader), ".", Base64UrlEncode(claims.dump()));
  return absl::StrCat(signing_input, ".", Base64UrlEncode(issuer.Sign(signing_input)));
}

absl::StatusOr<nlohmann::json> VerifyJwt(absl::string_view token,
                                         common::nkeys::KeyType issuer_type, absl::Time now) {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return absl::InvalidArgumentError("JWT does not have three parts");
  absl::StatusOr<nlohmann::json> header = ParseJsonObject(parts[0], "header");
  if (!header.ok()) return header.status();
  if (absl::Status s = CheckHeader(*header); !s.ok()) return s;
  absl::StatusOr<nlohmann::json> claims = ParseJsonObject(parts[1], "claims");
  if (!claims.ok()) return claims.status();
  auto iss = claims->find("iss");
  if (iss == claims->end() || !iss->is_string()) {
    return absl::InvalidArgumentError("JWT has no issuer");
  }
  absl::StatusOr<std::string> issuer_key =
      common::nkeys::DecodePublic(issuer_type, iss->get<std::string>());
  if (!issuer_key.ok()) return absl::InvalidArgumentError("JWT issuer is not the expected kind of nkey");
  std::optional<std::string> signature = Base64Decode(parts[2]);
  std::string signing_input = absl::StrCat(parts[0], ".", parts[1]);
  if (!signature.has_value() ||
      !common::VerifySignature(*issuer_key, signing_input, *signature)) {
    return absl::UnauthenticatedError("JWT signature does not verify");
  }
  if (absl::Status s = CheckTimes(*claims, now); !s.ok()) return s;
  return claims;
}

}  // namespace unibus::broker_auth::callout
