#include "common/crypto/sealed_key_message.h"

namespace unibus::common {

std::string SealedKeyMessage(absl::string_view room_id, uint64_t epoch,
                             absl::string_view recipient_pub, absl::string_view sealed) {
  std::string m(kSealedKeyDomain.data(), kSealedKeyDomain.size());
  m.push_back('\0');
  m.push_back(static_cast<char>((room_id.size() >> 8) & 0xff));
  m.push_back(static_cast<char>(room_id.size() & 0xff));
  m.append(room_id.data(), room_id.size());
  for (int shift = 56; shift >= 0; shift -= 8) {
    m.push_back(static_cast<char>((epoch >> shift) & 0xff));
  }
  m.append(recipient_pub.data(), recipient_pub.size());
  m.append(sealed.data(), sealed.size());
  return m;
}

}  // namespace unibus::common
