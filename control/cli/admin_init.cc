#include <iostream>

#include "common/crypto/identity.h"
#include "common/time/clock.h"
#include "control/cli/commands.h"
#include "control/model/validation.h"
#include "control/store/sqlite/sqlite_store.h"

namespace unibus::control::cli {
namespace {

// The sign_pub of an active admin other than `except`, or "" if there is none.
absl::StatusOr<std::string> OtherAdmin(store::Store& store, const std::string& except) {
  std::string after;
  do {
    absl::StatusOr<store::Page<v1::User>> page = store.ListUsers(after, 1000);
    if (!page.ok()) return page.status();
    for (const v1::User& user : page->items) {
      if (user.role() == v1::ROLE_ADMIN && user.status() == v1::USER_STATUS_ACTIVE &&
          user.sign_pub() != except) {
        return user.sign_pub();
      }
    }
    after = page->next;
  } while (!after.empty());
  return std::string();
}

}  // namespace

int AdminInit(const std::string& db, const std::string& identity_file,
              const std::string& handle) {
  if (db.empty() || identity_file.empty()) {
    std::cerr << "unibusd admin init: --db and --identity are required\n";
    return 2;
  }
  if (absl::Status s = model::ValidateHandle(handle); !s.ok()) {
    std::cerr << "unibusd admin init: " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<common::Identity> id = common::Identity::Load(identity_file);
  if (!id.ok()) {
    std::cerr << "unibusd admin init: " << id.status().message() << "\n";
    return 1;
  }
  const common::Clock& clock = common::RealClock::Get();
  auto store = store::SqliteStore::Open(db, clock);
  if (!store.ok()) {
    std::cerr << "unibusd admin init: cannot open " << db << ": " << store.status().message()
              << "\n";
    return 1;
  }
  absl::StatusOr<v1::User> existing = (*store)->GetUser(id->sign_pub_hex());
  if (existing.ok()) {
    if (existing->role() == v1::ROLE_ADMIN && existing->status() == v1::USER_STATUS_ACTIVE) {
      std::cerr << "unibusd admin init: " << id->sign_pub_hex() << " is already an admin\n";
      return 0;
    }
    std::cerr << "unibusd admin init: this key is on the allowlist but is not an active admin\n";
    return 1;
  }
  absl::StatusOr<std::string> other = OtherAdmin(**store, id->sign_pub_hex());
  if (!other.ok() || !other->empty()) {
    std::cerr << "unibusd admin init: an admin already exists; add more admins with "
                 "UserService/AddUser\n";
    return 1;
  }
  v1::User user;
  user.set_sign_pub(id->sign_pub_hex());
  user.set_kex_pub(id->kex_pub_hex());
  user.set_handle(handle);
  user.set_role(v1::ROLE_ADMIN);
  user.set_status(v1::USER_STATUS_ACTIVE);
  user.set_created_at_ms(clock.NowMs());
  if (absl::Status s = (*store)->AddUser(user); !s.ok()) {
    std::cerr << "unibusd admin init: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "unibusd admin init: " << handle << " (" << user.sign_pub() << ") is the admin\n";
  return 0;
}

}  // namespace unibus::control::cli
