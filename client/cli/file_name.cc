#include "client/cli/file_name.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace unibus::client::cli {
namespace {

// A kept extension is at most this long (".tar.gz" style double extensions keep the last one).
constexpr size_t kMaxExtensionBytes = 16;

// Length of the UTF-8 sequence at s[i], or 0 if it is not a valid one (overlong forms,
// surrogates and values over U+10FFFF included). Sets *cp to the code point.
size_t Utf8Sequence(absl::string_view s, size_t i, uint32_t* cp) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  // Lead byte → sequence length, payload bits and the smallest code point of that length.
  struct Form {
    unsigned char mask, lead, bits;
    size_t n;
    uint32_t min;
  };
  static constexpr Form kForms[] = {
      {0xE0, 0xC0, 0x1F, 2, 0x80}, {0xF0, 0xE0, 0x0F, 3, 0x800}, {0xF8, 0xF0, 0x07, 4, 0x10000}};
  const Form* form = nullptr;
  for (const Form& f : kForms) {
    if ((c & f.mask) == f.lead) form = &f;
  }
  if (form == nullptr) return 0;
  const size_t n = form->n;
  const uint32_t min = form->min;
  *cp = c & form->bits;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (cc & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

bool Unsafe(uint32_t cp) {
  // C0, DEL, C1; the Arabic letter mark; zero-width space/joiners and LRM/RLM; line and
  // paragraph separators and the bidi embeddings/overrides; bidi isolates; the BOM.
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

// Everything after the last '/' or '\'.
absl::string_view Basename(absl::string_view name) {
  size_t slash = name.find_last_of("/\\");
  return slash == absl::string_view::npos ? name : name.substr(slash + 1);
}

// The longest prefix of `s` of at most `max` bytes that does not cut a UTF-8 sequence
// (s is valid UTF-8 here).
absl::string_view CutAt(absl::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

// Position of the extension's dot, or npos (a leading dot does not start an extension).
size_t ExtensionDot(absl::string_view name) {
  size_t dot = name.find_last_of('.');
  return dot == 0 ? absl::string_view::npos : dot;
}

std::string Fallback(absl::string_view address) {
  std::string hex;
  for (char c : address) {
    if (hex.size() == 12) break;
    if (absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      hex += absl::ascii_tolower(static_cast<unsigned char>(c));
    }
  }
  return hex.empty() ? "blob" : absl::StrCat("blob-", hex);
}

}  // namespace

std::string SafeFileName(absl::string_view name, absl::string_view address) {
  std::string clean;
  const absl::string_view base = Basename(name);
  for (size_t i = 0; i < base.size();) {
    uint32_t cp = 0;
    size_t n = Utf8Sequence(base, i, &cp);
    if (n == 0 || Unsafe(cp)) {
      clean += '_';
      i += n == 0 ? 1 : n;
    } else {
      clean.append(base.data() + i, n);
      i += n;
    }
  }
  clean = std::string(absl::StripAsciiWhitespace(clean));
  if (clean.empty()) return Fallback(address);
  if (clean[0] == '.' || clean[0] == '-') clean.insert(0, "_");
  if (clean.size() > kMaxFileNameBytes) {
    absl::string_view view = clean;
    size_t dot = ExtensionDot(view);
    absl::string_view extension;
    if (dot != absl::string_view::npos && view.size() - dot <= kMaxExtensionBytes) {
      extension = view.substr(dot);
    }
    clean = absl::StrCat(CutAt(view, kMaxFileNameBytes - extension.size()), extension);
  }
  return clean;
}

std::string NumberedFileName(absl::string_view name, int n) {
  if (n == 0) return std::string(name);
  size_t dot = ExtensionDot(name);
  if (dot == absl::string_view::npos) return absl::StrCat(name, " (", n, ")");
  return absl::StrCat(name.substr(0, dot), " (", n, ")", name.substr(dot));
}

}  // namespace unibus::client::cli
