#include "control/blob/object_layout.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/identity.h"

namespace unibus::control::blob::object_layout {
namespace {

using nlohmann::json;

constexpr char kGoZeroTime[] = "0001-01-01T00:00:00Z";
constexpr char kNuidAlphabet[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr int kNuidLength = 22;

std::string FormatMtime(absl::Time t) {
  if (t == absl::InfinitePast()) return kGoZeroTime;
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}

absl::Time ParseMtime(const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) return absl::InfinitePast();
  // Go's zero time (year 1) and anything before the epoch mean "not stated".
  if (t < absl::UnixEpoch()) return absl::InfinitePast();
  return t;
}

}  // namespace

bool IsValidBucket(absl::string_view bucket) {
  if (bucket.empty()) return false;
  for (char c : bucket) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::string StreamName(absl::string_view bucket) { return absl::StrCat("OBJ_", bucket); }
std::string AllChunksSubject(absl::string_view bucket) {
  return absl::StrCat("$O.", bucket, ".C.>");
}
std::string AllMetaSubject(absl::string_view bucket) { return absl::StrCat("$O.", bucket, ".M.>"); }
std::string ChunkSubject(absl::string_view bucket, absl::string_view nuid) {
  return absl::StrCat("$O.", bucket, ".C.", nuid);
}
std::string MetaSubject(absl::string_view bucket, absl::string_view name) {
  return absl::StrCat("$O.", bucket, ".M.", Base64UrlPadded(name));
}

std::optional<std::string> NameOfMetaSubject(absl::string_view bucket, absl::string_view subject) {
  std::string prefix = absl::StrCat("$O.", bucket, ".M.");
  if (!absl::ConsumePrefix(&subject, prefix) || subject.empty()) return std::nullopt;
  std::string name;
  if (!absl::WebSafeBase64Unescape(subject, &name)) return std::nullopt;
  return name;
}

std::string StreamConfigJson(absl::string_view bucket, int replicas) {
  return json{
      {"name", StreamName(bucket)},
      {"subjects", json::array({AllChunksSubject(bucket), AllMetaSubject(bucket)})},
      {"retention", "limits"},
      {"storage", "file"},
      {"discard", "new"},
      {"num_replicas", replicas},
      {"max_bytes", -1},
      {"max_age", 0},
      {"allow_rollup_hdrs", true},
      {"allow_direct", true},
  }
      .dump();
}

std::string Base64UrlPadded(absl::string_view bytes) {
  std::string out = absl::WebSafeBase64Escape(bytes);  // unpadded
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

std::string DigestValue(absl::string_view sha256_bytes) {
  return absl::StrCat(kDigestPrefix, Base64UrlPadded(sha256_bytes));
}

std::optional<std::string> DigestBytes(absl::string_view value) {
  // Go's DecodeObjectDigest splits at the first '=' and so accepts any algorithm name; only
  // SHA-256 is ever written, and only SHA-256 can be checked.
  if (!absl::ConsumePrefix(&value, kDigestPrefix)) return std::nullopt;
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(value, &bytes) || bytes.size() != 32) return std::nullopt;
  return bytes;
}

std::string NewNuid() {
  common::InitSodium();
  std::string nuid(kNuidLength, '0');
  for (char& c : nuid) c = kNuidAlphabet[randombytes_uniform(sizeof(kNuidAlphabet) - 1)];
  return nuid;
}

std::string EncodeObjectInfo(const ObjectInfo& info) {
  json j{
      {"name", info.name},
      {"bucket", info.bucket},
      {"nuid", info.nuid},
      {"size", info.size},
      {"mtime", FormatMtime(info.mtime)},
      {"chunks", info.chunks},
  };
  if (info.max_chunk_size != 0) j["options"] = json{{"max_chunk_size", info.max_chunk_size}};
  if (!info.digest.empty()) j["digest"] = info.digest;
  if (info.deleted) j["deleted"] = true;
  if (!info.uploader.empty()) j["metadata"] = json{{std::string(kUploaderKey), info.uploader}};
  return j.dump();
}

absl::StatusOr<ObjectInfo> DecodeObjectInfo(absl::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  auto bad = [] { return absl::DataLossError("unreadable object meta"); };
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return bad();
  ObjectInfo info;
  info.name = j["name"].get<std::string>();
  auto string_field = [&j](const char* key, std::string* out) {
    if (!j.contains(key) || j[key].is_null()) return true;
    if (!j[key].is_string()) return false;
    *out = j[key].get<std::string>();
    return true;
  };
  std::string mtime;
  if (!string_field("bucket", &info.bucket) || !string_field("nuid", &info.nuid) ||
      !string_field("digest", &info.digest) || !string_field("mtime", &mtime)) {
    return bad();
  }
  info.mtime = ParseMtime(mtime);
  if (j.contains("size")) {
    if (!j["size"].is_number_unsigned()) return bad();
    info.size = j["size"].get<uint64_t>();
  }
  if (j.contains("chunks")) {
    if (!j["chunks"].is_number_unsigned() || j["chunks"].get<uint64_t>() > UINT32_MAX) return bad();
    info.chunks = j["chunks"].get<uint32_t>();
  }
  if (j.contains("deleted")) {
    if (!j["deleted"].is_boolean()) return bad();
    info.deleted = j["deleted"].get<bool>();
  }
  if (j.contains("metadata") && j["metadata"].is_object()) {
    const json& m = j["metadata"];
    auto uploader = m.find(std::string(kUploaderKey));
    if (uploader != m.end() && uploader->is_string()) info.uploader = uploader->get<std::string>();
  }
  if (j.contains("options") && j["options"].is_object()) {
    const json& o = j["options"];
    if (o.contains("max_chunk_size") && o["max_chunk_size"].is_number_unsigned()) {
      info.max_chunk_size = static_cast<uint32_t>(o["max_chunk_size"].get<uint64_t>());
    }
  }
  return info;
}

}  // namespace unibus::control::blob::object_layout
