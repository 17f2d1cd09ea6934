#pragma once
// Per-thread scratch buffers that only grow: no allocation per call once warm. Each element
// type has its own buffers, and a kernel that needs several at once takes different slots.

#include <cstddef>
#include <vector>

#include <Eigen/Core>

namespace ember::kernels {

inline constexpr int kWorkspaceSlots = 4;

// At least `elements` elements of this thread's buffer `slot` (0 <= slot < kWorkspaceSlots),
// aligned for Eigen's vector code; the contents are whatever the last user left.
template <class T>
T* thread_workspace(std::size_t elements, int slot = 0) {
  thread_local std::vector<T, Eigen::aligned_allocator<T>> buffers[kWorkspaceSlots];
  auto& buffer = buffers[slot];
  if (buffer.size() < elements) buffer.resize(elements);
  return buffer.data();
}

}  // namespace ember::kernels
