// Happens-before annotations for Debian's (uninstrumented) absl::Mutex, for --config=tsan only.
//
// ThreadSanitizer only sees synchronisation done in instrumented code or through the libc/pthread
// functions it intercepts. absl::Mutex locks with atomics and futexes inside
// libabsl_synchronization.so, which Debian does not build with -fsanitize=thread, so without this
// file TSan reports every pair of accesses guarded by one absl::Mutex as a data race (and the
// reports of real races drown in them).
//
// This file defines the out-of-line entry points of absl::Mutex and absl::CondVar again. The
// executable's definitions take precedence over the shared library's (ELF symbol interposition,
// also for calls made from inside other shared libraries such as gRPC's), and each one calls the
// real function (dlsym RTLD_NEXT) and tells TSan what it did:
//   - acquiring the mutex (Lock, TryLock, LockWhen, the end of Await or CondVar::Wait) is an
//     acquire of the mutex address, releasing it (Unlock, the start of Await or Wait) a release;
//   - a Condition may be evaluated by whichever thread holds the mutex at the time (absl evaluates
//     waiters' conditions inside Unlock), so every Condition passed in is wrapped in one that
//     acquires before and releases after evaluating the original.
// Readers are treated like writers (each reader's release also orders later writers after it).
// Only happens-before edges are added; lock-order and double-lock checking stay off, exactly as
// without this file.
// Compiles to nothing unless built with -fsanitize=thread.
#if defined(__SANITIZE_THREAD__)

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace {

template <typename Fn>
Fn Real(const char* mangled) {
  void* fn = dlsym(RTLD_NEXT, mangled);
  if (fn == nullptr) {
    std::fprintf(stderr, "absl_mutex_tsan: cannot find %s\n", mangled);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}

// Looks the real function up once; `Fn` is the member function as a free function taking `this`.
#define UNIBUS_REAL(Fn, mangled)                     \
  static const Fn real_fn = Real<Fn>(mangled);       \
  (void)0

void Acquire(const void* mu) { __tsan_acquire(const_cast<void*>(mu)); }
void Release(const void* mu) { __tsan_release(const_cast<void*>(mu)); }

// A Condition that evaluates `cond` as if under `mu` for TSan.
struct Annotated {
  const absl::Condition* cond;
  const absl::Mutex* mu;
};

bool EvalAnnotated(void* arg) {
  const auto* a = static_cast<const Annotated*>(arg);
  Acquire(a->mu);
  bool result = a->cond->Eval();
  Release(a->mu);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

using MutexFn = void (*)(Mutex*);
using MutexBoolFn = bool (*)(Mutex*);
using CondFn = void (*)(Mutex*, const Condition&);
using CondTimeoutFn = bool (*)(Mutex*, const Condition&, Duration);
using CondDeadlineFn = bool (*)(Mutex*, const Condition&, Time);

void Mutex::Lock() {
  UNIBUS_REAL(MutexFn, "_ZN4absl7debian35Mutex4LockEv");
  real_fn(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  UNIBUS_REAL(MutexFn, "_ZN4absl7debian35Mutex10ReaderLockEv");
  real_fn(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  UNIBUS_REAL(MutexBoolFn, "_ZN4absl7debian35Mutex7TryLockEv");
  bool locked = real_fn(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  UNIBUS_REAL(MutexBoolFn, "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  bool locked = real_fn(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  UNIBUS_REAL(MutexFn, "_ZN4absl7debian35Mutex6UnlockEv");
  Release(this);
  real_fn(this);
}

void Mutex::ReaderUnlock() {
  UNIBUS_REAL(MutexFn, "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  Release(this);
  real_fn(this);
}

void Mutex::LockWhen(const Condition& cond) {
  UNIBUS_REAL(CondFn, "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  Annotated a{&cond, this};
  real_fn(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  UNIBUS_REAL(CondFn, "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Annotated a{&cond, this};
  real_fn(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  UNIBUS_REAL(CondTimeoutFn,
              "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);  // held on return either way
  return result;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  UNIBUS_REAL(CondTimeoutFn,
              "_ZN4absl7debian35Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  UNIBUS_REAL(CondDeadlineFn,
              "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  UNIBUS_REAL(CondDeadlineFn,
              "_ZN4absl7debian35Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

void Mutex::Await(const Condition& cond) {
  UNIBUS_REAL(CondFn, "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  Annotated a{&cond, this};
  Release(this);
  real_fn(this, Condition(&EvalAnnotated, &a));
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  UNIBUS_REAL(CondTimeoutFn,
              "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated a{&cond, this};
  Release(this);
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), timeout);
  Acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  UNIBUS_REAL(CondDeadlineFn,
              "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated a{&cond, this};
  Release(this);
  bool result = real_fn(this, Condition(&EvalAnnotated, &a), deadline);
  Acquire(this);
  return result;
}

using WaitFn = void (*)(CondVar*, Mutex*);
using WaitTimeoutFn = bool (*)(CondVar*, Mutex*, Duration);
using WaitDeadlineFn = bool (*)(CondVar*, Mutex*, Time);

void CondVar::Wait(Mutex* mu) {
  UNIBUS_REAL(WaitFn, "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real_fn(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  UNIBUS_REAL(WaitTimeoutFn, "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  bool result = real_fn(this, mu, timeout);
  Acquire(mu);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  UNIBUS_REAL(WaitDeadlineFn, "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  bool result = real_fn(this, mu, deadline);
  Acquire(mu);
  return result;
}

ABSL_NAMESPACE_END
}  // namespace absl

#endif  // defined(__SANITIZE_THREAD__)
