#include "client/cli/byte_size.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace unibus::client::cli {
namespace {

struct Unit {
  double divisor;
  const char* name;
};

Unit UnitFor(uint64_t bytes) {
  static constexpr const char* kNames[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return {1, "B"};
  double divisor = 1024;
  int i = 0;
  while (i + 1 < 6 && static_cast<double>(bytes) >= divisor * 1024) {
    divisor *= 1024;
    ++i;
  }
  return {divisor, kNames[i]};
}

std::string Scaled(uint64_t bytes, const Unit& unit) {
  if (unit.divisor == 1) return absl::StrCat(bytes);
  return absl::StrFormat("%.1f", static_cast<double>(bytes) / unit.divisor);
}

}  // namespace

std::string FormatByteSize(uint64_t bytes) {
  Unit unit = UnitFor(bytes);
  return absl::StrCat(Scaled(bytes, unit), " ", unit.name);
}

std::string FormatByteRatio(uint64_t done, uint64_t total) {
  Unit unit = UnitFor(total);
  return absl::StrCat(Scaled(done, unit), "/", Scaled(total, unit), " ", unit.name);
}

}  // namespace unibus::client::cli
