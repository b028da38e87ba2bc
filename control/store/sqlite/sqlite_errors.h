// The one converter from SQLiteCpp's exceptions to absl::Status (STYLE.md "Errors").
//
// The returned messages never contain SQL, file paths or SQLite's error text; the details go to
// stderr together with `op` so an operator can still diagnose the failure.
// Thread-safe (writes one line to stderr per call).
#ifndef UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ERRORS_H_
#define UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ERRORS_H_

#include <exception>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace unibus::control::store {

// Maps an SQLite primary / extended result code to a status:
//   BUSY, LOCKED, IOERR, FULL, CANTOPEN, PROTOCOL, NOMEM, READONLY, INTERRUPT -> UNAVAILABLE
//   CONSTRAINT_UNIQUE / CONSTRAINT_PRIMARYKEY -> ALREADY_EXISTS
//   CONSTRAINT_FOREIGNKEY -> NOT_FOUND
//   anything else (CORRUPT, NOTADB, MISUSE, other constraints...) -> INTERNAL
absl::Status StatusFromSqliteCode(int extended_code);

// Converts an exception caught around SQLiteCpp calls (SQLite::Exception or any other
// std::exception, which becomes INTERNAL) and logs it with `op`, e.g. "AddUser".
absl::Status StatusFromException(const std::exception& e, absl::string_view op);

// Runs `fn` (returning absl::Status or absl::StatusOr<T>) and turns any exception it throws into
// a status with StatusFromException: the exception boundary of every SqliteStore method.
template <typename Fn>
auto CatchExceptions(absl::string_view op, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return StatusFromException(e, op);
  }
}

}  // namespace unibus::control::store

#endif  // UNIBUS_CONTROL_STORE_SQLITE_SQLITE_ERRORS_H_
