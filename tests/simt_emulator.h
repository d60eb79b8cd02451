// Runs CUDA kernel code on the CPU, for tests on machines without a GPU: every thread of a block is a
// fiber (its own stack); __syncthreads() and the warp primitives (__shfl_down_sync, __ballot_sync) switch
// to the other threads until every thread of the block (or warp) has arrived; __shared__ variables are
// one static copy (blocks run one after another, in blockIdx order); atomics are plain (one thread runs
// at a time). __fmaf_rn and __fadd_rn round as the GPU does (IEEE fused multiply-add, plain add), so a
// kernel whose threads each sum in a fixed order gives the device's bits. Strict where CUDA is
// undefined: a barrier that some threads of the block (or warp) never reach is an error. Include it
// after the standard headers and before the kernels' headers; launch with simt::on_grid(), the
// emulator's form of the kernel headers' launch(kernel, grid, threads, args...).
#pragma once
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace simt {

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

// The running thread's coordinates, set by the scheduler before it switches into a thread.
struct Coordinates {
  uint3 thread, block;
  dim3 grid, block_dim;
};
inline Coordinates& here() {
  static Coordinates c;
  return c;
}

class Block {
 public:
  static Block*& current() {
    static Block* b = nullptr;
    return b;
  }

  // Runs body once per thread of one block to completion.
  void run(unsigned threads, const std::function<void()>& body) {
    constexpr size_t kStack = 128 * 1024;  // kernels keep little on the stack
    // Fibers are made once and parked between blocks (a fresh one costs a system call); one that a
    // failed block left inside its body is made anew.
    while (fibers_.size() < threads) fibers_.push_back(std::make_unique<Fiber>());  // never moved: contexts
    active_ = threads;
    exchange_.assign(threads, 0);
    body_ = &body;
    current() = this;
    for (unsigned t = 0; t < threads; ++t) {
      if (fibers_[t]->started && fibers_[t]->state != Done) fibers_[t] = std::make_unique<Fiber>();
      Fiber& f = *fibers_[t];
      if (!f.stack) f.stack.reset(new char[kStack]);  // not zeroed: untouched pages stay unmapped
      if (!f.started) {
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack.get();
        f.ctx.uc_stack.ss_size = kStack;
        f.ctx.uc_link = nullptr;  // entry() never returns: it jumps back to the scheduler
        makecontext(&f.ctx, &Block::entry, 0);
      }
      f.state = Ready;
      f.error = nullptr;
    }
    for (;;) {
      for (unsigned t = 0; t < threads; ++t)
        if (fibers_[t]->state == Ready) resume(t);
      if (!release(threads)) break;
    }
    current() = nullptr;
  }

  // __syncthreads(): wait until every thread of the block has arrived.
  void block_barrier() { wait(WaitBlock); }
  // The warp primitives' rendezvous: every thread of the running thread's warp.
  void warp_barrier() { wait(WaitWarp); }
  unsigned running() const { return running_; }
  uint64_t& slot(unsigned t) { return exchange_[t]; }
  size_t threads() const { return active_; }

 private:
  enum State { Ready, WaitBlock, WaitWarp, Done };
  // A thread starts on its own stack by setcontext; after that every switch is a GCC builtin
  // setjmp/longjmp pair (no signal-mask system call, unlike swapcontext).
  struct Fiber {
    std::unique_ptr<char[]> stack;
    ucontext_t ctx{};
    void* jump[5] = {};
    bool started = false;
    State state = Ready;
    std::exception_ptr error;
  };
  [[gnu::noinline]] static void jump_to(void** buf) { __builtin_longjmp(buf, 1); }
  // A fiber runs the body of one block's thread after another: after each it parks, and the next
  // block's scheduler resumes it at the top of the loop.
  static void entry() {
    for (;;) {
      Block& b = *current();
      Fiber& f = *b.fibers_[b.running_];
      try {
        (*b.body_)();
      } catch (...) {
        f.error = std::current_exception();
      }
      f.state = Done;
      if (__builtin_setjmp(f.jump) == 0) jump_to(b.scheduler_jump_);
    }
  }
  [[gnu::noinline]] void resume(unsigned t) {
    running_ = t;
    const dim3 d = here().block_dim;
    here().thread = {t % d.x, t / d.x % d.y, t / (d.x * d.y)};
    Fiber& f = *fibers_[t];
    if (__builtin_setjmp(scheduler_jump_) == 0) {
      if (!f.started) {
        f.started = true;
        setcontext(&f.ctx);
      }
      jump_to(f.jump);
    }
    if (f.error) std::rethrow_exception(f.error);
  }
  [[gnu::noinline]] void wait(State s) {
    Fiber& f = *fibers_[running_];
    f.state = s;
    if (__builtin_setjmp(f.jump) == 0) jump_to(scheduler_jump_);
  }
  // Releases the barriers every member has reached; false when all threads are done. A barrier that
  // some member cannot reach (it returned, or waits elsewhere with nothing left to run) is an error.
  bool release(unsigned threads) {
    unsigned done = 0, at_block = 0;
    for (unsigned t = 0; t < threads; ++t)
      done += fibers_[t]->state == Done, at_block += fibers_[t]->state == WaitBlock;
    if (done == threads) return false;
    bool released = false;
    for (unsigned w0 = 0; w0 < threads; w0 += 32) {  // warps whose every thread waits at the warp rendezvous
      const unsigned w1 = std::min(threads, w0 + 32);
      unsigned waiting = 0, gone = 0;
      for (unsigned t = w0; t < w1; ++t) waiting += fibers_[t]->state == WaitWarp, gone += fibers_[t]->state == Done;
      if (waiting == 0) continue;
      if (gone) fail("a warp primitive that " + std::to_string(gone) + " threads of the warp have returned before");
      if (waiting == w1 - w0) {
        for (unsigned t = w0; t < w1; ++t) fibers_[t]->state = Ready;
        released = true;
      }
    }
    if (released) return true;
    if (at_block == threads - done && at_block) {
      if (done) fail("__syncthreads() that " + std::to_string(done) + " threads of the block have returned before");
      for (unsigned t = 0; t < threads; ++t) fibers_[t]->state = Ready;
      return true;
    }
    fail("threads wait at different barriers (divergent __syncthreads or warp primitive)");
  }
  [[noreturn]] static void fail(const std::string& what) { throw std::logic_error("simt: " + what); }

  std::vector<std::unique_ptr<Fiber>> fibers_;
  unsigned active_ = 0;             // the running block's threads
  std::vector<uint64_t> exchange_;  // the warp primitives' values, one per thread
  void* scheduler_jump_[5] = {};
  const std::function<void()>* body_ = nullptr;
  unsigned running_ = 0;
};

// kernel<<<grid, block>>>(...) as launch(grid, block, [&] { kernel(...); }): the blocks in order.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  static Block runner;
  here().grid = grid;
  here().block_dim = block;
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) {
        here().block = {x, y, z};
        runner.run(block.x * block.y * block.z, body);
      }
}

// The kernel headers' launch(kernel, grid, threads, args...), run by the emulator.
inline auto on_grid() {
  return [](auto kernel, dim3 grid, unsigned threads, const auto&... args) {
    launch(grid, dim3(threads), [&] { kernel(args...); });
  };
}

// A value from lane `from` of the running thread's warp (every lane of the warp takes part).
template <class T>
T exchange(T v, unsigned from_lane, bool valid) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "one slot per thread");
  Block& b = *Block::current();
  const unsigned t = b.running(), w0 = t & ~31u;
  std::memcpy(&b.slot(t), &v, sizeof(T));
  b.warp_barrier();
  T r = v;
  if (valid && w0 + from_lane < b.threads()) std::memcpy(&r, &b.slot(w0 + from_lane), sizeof(T));
  b.warp_barrier();  // every lane has read before the slots are written again
  return r;
}

}  // namespace simt

using simt::dim3;
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __launch_bounds__(...)
#define threadIdx (::simt::here().thread)
#define blockIdx (::simt::here().block)
#define gridDim (::simt::here().grid)
#define blockDim (::simt::here().block_dim)
inline void __syncthreads() { ::simt::Block::current()->block_barrier(); }
inline void __threadfence() {}
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
// CUDA's device min and max of two numbers (the kernels use them unqualified).
template <class A, class B>
std::common_type_t<A, B> max(A a, B b) {
  return a < b ? b : a;
}
template <class A, class B>
std::common_type_t<A, B> min(A a, B b) {
  return b < a ? b : a;
}
template <class T>
T __ldcg(const T* p) {
  return *p;
}
template <class T>
T __shfl_down_sync(unsigned, T v, unsigned delta) {
  const unsigned lane = ::simt::Block::current()->running() & 31u;
  return ::simt::exchange(v, lane + delta, lane + delta < 32);
}
inline unsigned __ballot_sync(unsigned, int predicate) {
  ::simt::Block& b = *::simt::Block::current();
  const unsigned t = b.running(), w0 = t & ~31u;
  b.slot(t) = predicate ? 1 : 0;
  b.warp_barrier();
  unsigned bits = 0;
  for (unsigned l = 0; l < 32 && w0 + l < b.threads(); ++l) bits |= unsigned(b.slot(w0 + l)) << l;
  b.warp_barrier();
  return bits;
}
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
