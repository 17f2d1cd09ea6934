#pragma once
// Tensor storage allocation: aligned (for Eigen's vector code), not zero-filled unless asked
// (Tensor::uninitialized), and with large blocks kept for reuse.
//
// Why keep blocks: glibc hands every block above its mmap threshold (at most 32 MB) back to
// the kernel on free, and getting memory back costs a page fault and a page clear per 4 KB.
// An inference pass at batch 1000 allocates and frees ~400 MB of activations; without reuse a
// third of its time went to the kernel. A network sees the same shapes batch after batch, so
// freed blocks are kept (up to a cap) and handed out again for requests of the same size.

#include <cstddef>
#include <map>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include <Eigen/Core>

namespace ember {

namespace detail {

class BlockCache {
 public:
  static constexpr std::size_t kMinBlockBytes = std::size_t(1) << 20;  // smaller blocks: malloc reuses them itself

  static BlockCache& instance() {
    // Never destroyed: a tensor in static storage may be freed after any destructor of ours
    // ran. Still reachable at exit, so leak checkers do not count its blocks.
    static BlockCache* cache = new BlockCache;
    return *cache;
  }

  // A cached block of exactly `bytes`, or nullptr.
  void* take(std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(bytes);
    if (it == free_.end()) return nullptr;
    void* p = it->second;
    free_.erase(it);
    cached_bytes_ -= bytes;
    return p;
  }

  // Keeps the block if the cap allows; false: the caller frees it.
  bool give(void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_bytes_ + bytes > limit_bytes_) return false;
    free_.emplace(bytes, p);
    cached_bytes_ += bytes;
    return true;
  }

  // Frees every cached block (the memory goes back to the system).
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [bytes, p] : free_) Eigen::internal::aligned_free(p);
    free_.clear();
    cached_bytes_ = 0;
  }

  void set_limit(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      limit_bytes_ = bytes;
    }
    release();
  }
  std::size_t limit() {
    std::lock_guard<std::mutex> lock(mutex_);
    return limit_bytes_;
  }
  std::size_t cached_bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_bytes_;
  }

 private:
  BlockCache() = default;
  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;
  std::size_t cached_bytes_ = 0;
#if defined(__SANITIZE_ADDRESS__)
  std::size_t limit_bytes_ = 0;  // under AddressSanitizer every free is real: use-after-free stays visible
#else
  std::size_t limit_bytes_ = std::size_t(512) << 20;
#endif
};

// Eigen-aligned storage whose vectors grow without zero-filling (default-initialised
// elements) and whose large blocks go through the BlockCache.
template <class T>
struct TensorAllocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = TensorAllocator<U>;
  };
  TensorAllocator() = default;
  template <class U>
  TensorAllocator(const TensorAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= BlockCache::kMinBlockBytes)
      if (void* p = BlockCache::instance().take(bytes)) return static_cast<T*>(p);
    return static_cast<T*>(Eigen::internal::aligned_malloc(bytes));  // throws std::bad_alloc
  }
  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes >= BlockCache::kMinBlockBytes && BlockCache::instance().give(p, bytes)) return;
    Eigen::internal::aligned_free(p);
  }

  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <class U>
  bool operator==(const TensorAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const TensorAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace detail

// Large tensor buffers freed by the program are kept for reuse, up to `bytes` in total
// (default 512 MB, 0 under AddressSanitizer; 0 turns the cache off). Setting the limit frees
// what is cached.
inline void set_tensor_cache_limit(std::size_t bytes) { detail::BlockCache::instance().set_limit(bytes); }
inline std::size_t tensor_cache_limit() { return detail::BlockCache::instance().limit(); }
// Frees the cached buffers now (e.g. after a large inference pass).
inline void release_tensor_cache() { detail::BlockCache::instance().release(); }

}  // namespace ember
