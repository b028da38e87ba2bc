// The conformance suite of the BlobStore interface (blob_store.h): one set of tests that every
// backend runs, so that DiskBlobStore and ObjectBlobStore agree on results and on the exact
// absl::StatusCode of each failure (like control/store/store_conformance.h for the Store).
//
// A backend's test instantiates it with a factory that returns a fresh, empty store:
//
//   INSTANTIATE_TEST_SUITE_P(Disk, BlobStoreConformanceTest,
//                            ::testing::Values(BlobStoreFactory{"Disk", [] { ... }}),
//                            BlobStoreFactoryName);
#ifndef UNIBUS_CONTROL_BLOB_BLOB_STORE_CONFORMANCE_H_
#define UNIBUS_CONTROL_BLOB_BLOB_STORE_CONFORMANCE_H_

#include <functional>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "control/blob/blob_store.h"
#include "gtest/gtest.h"

namespace unibus::control::blob {

struct BlobStoreFactory {
  // Names the instantiation in test output, e.g. "Disk".
  std::string name;
  // A new, empty store; nullptr fails the test.
  std::function<BlobStorePtr()> make;
};

std::string BlobStoreFactoryName(const ::testing::TestParamInfo<BlobStoreFactory>& info);
void PrintTo(const BlobStoreFactory& factory, std::ostream* os);

class BlobStoreConformanceTest : public ::testing::TestWithParam<BlobStoreFactory> {
 protected:
  void SetUp() override;

  // Stores `bytes` in `room` under their sha256, uploaded by `uploader`; returns Commit's answer.
  absl::StatusOr<bool> Put(const std::string& room, const std::string& bytes,
                           const std::string& uploader = "");

  BlobStorePtr store_;
};

}  // namespace unibus::control::blob

#endif  // UNIBUS_CONTROL_BLOB_BLOB_STORE_CONFORMANCE_H_
