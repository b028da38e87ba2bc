#include "control/blob/upload_budget.h"

namespace unibus::control::blob {

std::optional<UploadBudget::Lease> UploadBudget::TryAcquire(uint64_t bytes) {
  uint64_t used = in_use_.load(std::memory_order_relaxed);
  do {
    if (bytes > capacity_ || used > capacity_ - bytes) return std::nullopt;
  } while (!in_use_.compare_exchange_weak(used, used + bytes, std::memory_order_acq_rel));
  return Lease(this, bytes);
}

}  // namespace unibus::control::blob
