// The global budget of bytes that blob uploads may hold in server memory at once, across every
// client and source address. An upload that does not fit is refused at once (the caller answers
// RESOURCE_EXHAUSTED) rather than queued, so memory stays bounded however many clients push.
//
// Thread-safe.
#ifndef UNIBUS_CONTROL_BLOB_UPLOAD_BUDGET_H_
#define UNIBUS_CONTROL_BLOB_UPLOAD_BUDGET_H_

#include <atomic>
#include <cstdint>
#include <optional>

namespace unibus::control::blob {

class UploadBudget {
 public:
  // Holds `bytes` of the budget until destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : budget_(other.budget_), bytes_(other.bytes_) {
      other.budget_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (budget_ != nullptr) budget_->Release(bytes_);
    }
    uint64_t bytes() const { return bytes_; }

   private:
    friend class UploadBudget;
    Lease(UploadBudget* budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    UploadBudget* budget_;
    uint64_t bytes_;
  };

  explicit UploadBudget(uint64_t capacity) : capacity_(capacity) {}

  // nullopt when `bytes` do not fit in what is left.
  std::optional<Lease> TryAcquire(uint64_t bytes);
  uint64_t in_use() const { return in_use_.load(std::memory_order_relaxed); }
  uint64_t capacity() const { return capacity_; }

 private:
  void Release(uint64_t bytes) { in_use_.fetch_sub(bytes, std::memory_order_acq_rel); }

  const uint64_t capacity_;
  std::atomic<uint64_t> in_use_{0};
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_UPLOAD_BUDGET_H_
