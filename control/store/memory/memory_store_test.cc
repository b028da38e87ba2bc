// MemoryStore runs the Store conformance suite (control/store/store_conformance.h).
#include "control/store/memory/memory_store.h"

#include <memory>

#include "control/store/store_conformance.h"

namespace unibus::control::store {
namespace {

INSTANTIATE_TEST_SUITE_P(
    Memory, StoreConformanceTest,
    ::testing::Values(StoreFactory{"Memory",
                                   [](const common::Clock& clock, int max_room_members) {
                                     return std::make_unique<MemoryStore>(clock,
                                                                          max_room_members);
                                   }}),
    StoreFactoryName);

}  // namespace
}  // namespace unibus::control::store
