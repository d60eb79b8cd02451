// GrowBuffer<T, Memory>: move-only, typed, grow-only memory of one kind (host, CUDA device, pinned).
#pragma once
#include <cstddef>
#include <utility>

namespace naswot {

// Memory: a policy with static void* allocate(size_t bytes), void deallocate(void*) and
// size_t grow(size_t wanted_bytes, size_t current_bytes) (how much to allocate, >= wanted_bytes).
// The contents are not kept across a growth (no caller needs them), so growing frees first: the
// peak stays one buffer. After the largest request has been seen, ensure() never allocates again.
template <class T, class Memory>
class GrowBuffer {
 public:
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  GrowBuffer(GrowBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), cap_(std::exchange(o.cap_, 0)) {}
  GrowBuffer& operator=(GrowBuffer&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      cap_ = std::exchange(o.cap_, 0);
    }
    return *this;
  }
  ~GrowBuffer() { release(); }

  // Room for at least n elements (uninitialised after a growth).
  T* ensure(size_t n) {
    if (n <= cap_) return p_;
    const size_t bytes = Memory::grow(n * sizeof(T), cap_ * sizeof(T));
    release();
    p_ = static_cast<T*>(Memory::allocate(bytes));
    cap_ = bytes / sizeof(T);
    return p_;
  }
  T* data() const { return p_; }
  size_t capacity() const { return cap_; }

 private:
  void release() {
    if (p_) Memory::deallocate(p_);
    p_ = nullptr;
    cap_ = 0;
  }
  T* p_ = nullptr;
  size_t cap_ = 0;
};

}  // namespace naswot
