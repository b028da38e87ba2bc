#include <functional>
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

// Adds the key of `identity_file` to the store at `db` with `role`, locally. 0 if added or
// already there with that role and active; 1 on failure; 2 on bad usage. `only_if` may refuse.
int AddLocalUser(const char* command, const std::string& db, const std::string& identity_file,
                 const std::string& handle, v1::Role role,
                 const std::function<bool(store::Store&, const std::string&)>& only_if) {
  if (db.empty() || identity_file.empty()) {
    std::cerr << command << ": --db and --identity are required\n";
    return 2;
  }
  if (absl::Status s = model::ValidateHandle(handle); !s.ok()) {
    std::cerr << command << ": " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<common::Identity> id = common::Identity::Load(identity_file);
  if (!id.ok()) {
    std::cerr << command << ": " << id.status().message() << "\n";
    return 1;
  }
  const common::Clock& clock = common::RealClock::Get();
  auto store = store::SqliteStore::Open(db, clock);
  if (!store.ok()) {
    std::cerr << command << ": cannot open " << db << ": " << store.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<v1::User> existing = (*store)->GetUser(id->sign_pub_hex());
  if (existing.ok()) {
    bool same = existing->role() == role && existing->status() == v1::USER_STATUS_ACTIVE;
    std::cerr << command << ": " << id->sign_pub_hex()
              << (same ? " is already on the allowlist with that role\n"
                       : " is on the allowlist with another role or revoked\n");
    return same ? 0 : 1;
  }
  if (!only_if(**store, id->sign_pub_hex())) return 1;
  v1::User user;
  user.set_sign_pub(id->sign_pub_hex());
  user.set_kex_pub(id->kex_pub_hex());
  user.set_handle(handle);
  user.set_role(role);
  user.set_status(v1::USER_STATUS_ACTIVE);
  user.set_created_at_ms(clock.NowMs());
  if (absl::Status s = (*store)->AddUser(user); !s.ok()) {
    std::cerr << command << ": " << s.message() << "\n";
    return 1;
  }
  std::cerr << command << ": added " << handle << " (" << user.sign_pub() << ")\n";
  return 0;
}

}  // namespace

int AdminInit(const std::string& db, const std::string& identity_file,
              const std::string& handle) {
  return AddLocalUser("unibusd admin init", db, identity_file, handle, v1::ROLE_ADMIN,
                      [](store::Store& store, const std::string& key) {
                        absl::StatusOr<std::string> other = OtherAdmin(store, key);
                        if (other.ok() && other->empty()) return true;
                        std::cerr << "unibusd admin init: an admin already exists; add more "
                                     "admins with UserService/AddUser\n";
                        return false;
                      });
}

int AddService(const std::string& db, const std::string& identity_file,
               const std::string& handle) {
  return AddLocalUser("unibusd admin add-service", db, identity_file, handle, v1::ROLE_SERVICE,
                      [](store::Store&, const std::string&) { return true; });
}

}  // namespace unibus::control::cli
