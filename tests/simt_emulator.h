// Runs CUDA kernel code on the CPU, for tests on machines without a GPU: every thread of a block is a
// fiber (ucontext), __syncthreads() switches to the next thread until all of the block's threads
// reach it, __shared__ variables are one static copy (blocks run one after another). __fmaf_rn and
// __fadd_rn round as the GPU does (IEEE fused multiply-add, plain add), so a kernel whose threads each
// sum in a fixed order gives the device's bits. Include it after the standard headers and before the
// kernel's header. Not covered: warp-level primitives, atomics, dynamic shared memory.
#pragma once
#include <ucontext.h>

#include <cmath>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
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
  // Runs body once per thread of one block to completion; throws if the threads do not all meet at
  // each barrier (a kernel bug: divergent __syncthreads).
  void run(unsigned threads, const std::function<void()>& body) {
    constexpr size_t kStack = 256 * 1024;
    if (stacks_.size() < threads) stacks_.resize(threads);
    fibers_.assign(threads, Fiber{});
    body_ = &body;
    current() = this;
    for (unsigned t = 0; t < threads; ++t) {
      if (!stacks_[t]) stacks_[t] = std::make_unique<char[]>(kStack);
      Fiber& f = fibers_[t];
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = stacks_[t].get();
      f.ctx.uc_stack.ss_size = kStack;
      f.ctx.uc_link = &scheduler_;
      makecontext(&f.ctx, &Block::entry, 0);
    }
    for (;;) {
      unsigned done = 0, waiting = 0;
      for (unsigned t = 0; t < threads; ++t) {
        Fiber& f = fibers_[t];
        if (f.done) {
          ++done;
          continue;
        }
        running_ = t;
        here().thread = {t % here().block_dim.x, t / here().block_dim.x % here().block_dim.y,
                         t / (here().block_dim.x * here().block_dim.y)};
        swapcontext(&scheduler_, &f.ctx);
        if (f.error) std::rethrow_exception(f.error);
        if (f.done)
          ++done;
        else
          ++waiting;
      }
      if (done == threads) break;
      if (done != 0 && waiting != 0)
        throw std::logic_error("simt: " + std::to_string(waiting) + " threads wait at __syncthreads() while " +
                               std::to_string(done) + " have returned");
    }
    current() = nullptr;
  }
  // __syncthreads(): back to the scheduler, which resumes this thread after every other has arrived.
  void barrier() { swapcontext(&fibers_[running_].ctx, &scheduler_); }

 private:
  struct Fiber {
    ucontext_t ctx{};
    bool done = false;
    std::exception_ptr error;
  };
  static void entry() {
    Block& b = *current();
    Fiber& f = b.fibers_[b.running_];
    try {
      (*b.body_)();
    } catch (...) {
      f.error = std::current_exception();
    }
    f.done = true;  // uc_link returns to the scheduler
  }
  std::vector<std::unique_ptr<char[]>> stacks_;
  std::vector<Fiber> fibers_;
  ucontext_t scheduler_{};
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
inline void __syncthreads() { ::simt::Block::current()->barrier(); }
inline float __fmaf_rn(float a, float b, float c) { return std::fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
