// Runs CUDA kernel code on the CPU, for tests on machines without a GPU: every thread of a block is a
// fiber (its own stack); __syncthreads() and the warp primitives (__shfl_down_sync, __ballot_sync, the
// TF32 mma.sync of kernels/cuda/mma_tf32.cuh) switch to the other threads until every thread of the block
// (or warp) has arrived; __shared__ variables are
// one static copy (blocks run one after another, in blockIdx order); atomics are plain (one thread runs
// at a time). __fmaf_rn and __fadd_rn round as the GPU does (IEEE fused multiply-add, plain add), so a
// kernel whose threads each sum in a fixed order gives the device's bits. Strict where CUDA is
// undefined: a barrier that some threads of the block (or warp) never reach is an error. Asynchronous
// copies (__pipeline_memcpy_async) land as late as CUDA allows (when their thread waits for them: a
// kernel that reads a buffer before waiting reads stale data) or, with Copies::Early, as early (when
// issued: a kernel that overwrites a buffer other threads still read corrupts it). Include it
// after the standard headers and before the kernels' headers; launch with simt::on_grid(), the
// emulator's form of the kernel headers' launch(kernel, grid, threads, args...). Blocks, warps (one at
// a time until it reaches a __syncthreads) and threads between waits run forward or in reverse, and
// copies land late or early, as simt::schedule() says (tests/simt_schedule.h).
#pragma once
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tests/simt_schedule.h"

namespace simt {

#ifdef __VECTOR_TYPES_H__  // CUDA's headers came first (tests/emulated_cuda): their uint3 and dim3
using ::dim3;
using ::uint3;
#else
struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
#endif

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

  // Runs body once per thread of one block to completion. direct: each thread a plain call, one after
  // another (for kernels without barriers: a barrier there is an error). barriers(): how many barrier
  // or warp-primitive waits the last block made.
  void run(unsigned threads, const std::function<void()>& body, bool direct = false) {
    waits_ = 0;
    reverse_ = schedule().order == Order::Reverse;
    if (async_.size() < threads) async_.resize(threads);
    for (unsigned t = 0; t < threads; ++t)  // copies a block never waited for never land
      async_[t].open.clear(), async_[t].committed.clear();
    if (direct) return run_direct(threads, body);
    constexpr size_t kStack = 128 * 1024;  // kernels keep little on the stack
    // Fibers are made once and parked between blocks (a fresh one costs a system call); one that a
    // failed block left inside its body is made anew.
    while (fibers_.size() < threads) fibers_.push_back(std::make_unique<Fiber>());  // never moved: contexts
    active_ = threads;
    exchange_.assign(2 * size_t(threads), 0);
    words_.assign(2 * size_t(threads) * kWords, 0);
    round_.assign(threads, 0);
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
      const dim3 d = here().block_dim;
      f.coord = {t % d.x, t / d.x % d.y, t / (d.x * d.y)};  // once per block, not per switch
    }
    // A pass runs every Ready thread until it waits or ends, each handing over to the next Ready one
    // (one switch per thread, not two through the scheduler); the last returns here.
    for (;;) {
      const unsigned first = next_ready(reverse_ ? threads : ~0u);
      if (first < threads && __builtin_setjmp(scheduler_jump_) == 0) start(first);
      for (unsigned t = 0; t < threads; ++t)
        if (fibers_[t]->error) std::rethrow_exception(std::exchange(fibers_[t]->error, nullptr));
      if (!release(threads)) break;
    }
    current() = nullptr;
  }

  size_t barriers() const { return waits_; }

  // The running thread's asynchronous copies (CUDA's pipeline primitives): queued, committed in
  // groups, and carried out when the thread waits for them.
  void async_copy(void* dst, const void* src, size_t bytes, size_t zfill) {
    if (schedule().copies == Copies::Early)
      land({dst, src, bytes, zfill});
    else
      async_[running_].open.push_back({dst, src, bytes, zfill});
  }
  void async_commit() {
    CopyQueue& c = async_[running_];
    c.committed.push_back(std::move(c.open));
    c.open.clear();
  }
  void async_wait_prior(size_t pending) {
    CopyQueue& c = async_[running_];
    for (; c.committed.size() > pending; c.committed.pop_front())
      for (const AsyncCopy& a : c.committed.front()) land(a);
  }

  // __syncthreads(): wait until every thread of the block has arrived.
  void block_barrier() { wait(WaitBlock); }
  // The warp primitives' rendezvous: every thread of the running thread's warp.
  void warp_barrier() { wait(WaitWarp); }
  unsigned running() const { return running_; }
  // The warp primitives' values: thread t's slot as `reader` sees it this round. Rounds alternate
  // between two sets of slots, so one rendezvous per primitive suffices: a lane that has gone on to
  // write the next round's slot cannot overwrite one that a slower lane still has to read.
  uint64_t& slot(unsigned reader, unsigned t) { return exchange_[size_t(round_[reader]) * active_ + t]; }
  // The same for warp primitives that share several words per thread (mma: its A and B fragments, up
  // to three products' worth).
  static constexpr unsigned kWords = 18;
  uint32_t* words(unsigned reader, unsigned t) { return &words_[(size_t(round_[reader]) * active_ + t) * kWords]; }
  void next_round(unsigned t) { round_[t] ^= 1; }
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
    uint3 coord{};
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
      b.hand_over(f);
    }
  }
  // Continues thread t where it stopped (or starts its fiber); does not return.
  [[noreturn]] void start(unsigned t) {
    running_ = t;
    Fiber& f = *fibers_[t];
    here().thread = f.coord;
    if (!f.started) {
      f.started = true;
      setcontext(&f.ctx);
    }
    jump_to(f.jump);
    __builtin_unreachable();
  }
  // Parks the running fiber f (it continues from here when started again) and runs the next Ready
  // thread of this pass, or returns to the scheduler after the last.
  [[gnu::noinline]] void hand_over(Fiber& f) {
    if (__builtin_setjmp(f.jump) != 0) return;
    const unsigned t = next_ready(running_);
    if (t < active_) start(t);
    jump_to(scheduler_jump_);
  }
  // The next Ready thread after `after` in schedule order, within after's warp (a pass runs one warp),
  // or active_ when none is. From ~0u (forward) or active_ (reverse): the first Ready thread of all.
  unsigned next_ready(unsigned after) const {
    const bool start = after >= active_;
    if (reverse_) {
      const unsigned stop = start ? 0 : after & ~31u;
      for (unsigned t = start ? active_ : after; t-- > stop;)
        if (fibers_[t]->state == Ready) return t;
      return active_;
    }
    const unsigned stop = start ? active_ : std::min(active_, (after | 31u) + 1);
    for (unsigned t = start ? 0 : after + 1; t < stop; ++t)
      if (fibers_[t]->state == Ready) return t;
    return active_;
  }
  void run_direct(unsigned threads, const std::function<void()>& body) {
    direct_ = true;
    active_ = threads;
    current() = this;
    const dim3 d = here().block_dim;
    try {
      for (unsigned i = 0; i < threads; ++i) {
        const unsigned t = reverse_ ? threads - 1 - i : i;
        running_ = t;
        here().thread = {t % d.x, t / d.x % d.y, t / (d.x * d.y)};
        body();
      }
    } catch (...) {
      direct_ = false;
      current() = nullptr;
      throw;
    }
    direct_ = false;
    current() = nullptr;
  }
  [[gnu::noinline]] void wait(State s) {
    if (direct_) fail("a barrier or warp primitive in a kernel whose first block ran none (block-dependent barriers)");
    ++waits_;
    Fiber& f = *fibers_[running_];
    f.state = s;
    hand_over(f);
  }
  // Releases the barriers every member has reached; false when all threads are done. A barrier that
  // some member cannot reach (it returned, or waits elsewhere with nothing left to run) is an error.
  bool release(unsigned threads) {
    // One warp runs at a time, the first in schedule order that can: from its warp primitive, or on
    // from the last __syncthreads, until it reaches the next __syncthreads or ends (warps as far
    // apart as CUDA allows: forward, warp 0 runs ahead of the others; reverse, the last warp does).
    const unsigned warps = (threads + 31) / 32;
    for (unsigned i = 0; i < warps; ++i) {
      const unsigned w0 = 32 * (reverse_ ? warps - 1 - i : i), w1 = std::min(threads, w0 + 32);
      unsigned waiting = 0, gone = 0, ready = 0;
      for (unsigned t = w0; t < w1; ++t) {
        const State st = fibers_[t]->state;
        waiting += st == WaitWarp, gone += st == Done, ready += st == Ready;
      }
      if (ready) return true;  // released at the last __syncthreads, not run yet
      if (waiting == 0) continue;
      if (gone) fail("a warp primitive that " + std::to_string(gone) + " threads of the warp have returned before");
      if (waiting == w1 - w0) {
        for (unsigned t = w0; t < w1; ++t) fibers_[t]->state = Ready;
        return true;
      }
    }
    unsigned done = 0, at_block = 0;
    for (unsigned t = 0; t < threads; ++t)
      done += fibers_[t]->state == Done, at_block += fibers_[t]->state == WaitBlock;
    if (done == threads) return false;
    if (at_block == threads - done && at_block) {
      if (done) fail("__syncthreads() that " + std::to_string(done) + " threads of the block have returned before");
      for (unsigned t = 0; t < threads; ++t) fibers_[t]->state = Ready;
      return true;
    }
    fail("threads wait at different barriers (divergent __syncthreads or warp primitive)");
  }
  [[noreturn]] static void fail(const std::string& what) { throw std::logic_error("simt: " + what); }

  struct AsyncCopy {
    void* dst;
    const void* src;
    size_t bytes, zfill;
  };
  static void land(const AsyncCopy& a) {
    std::memcpy(a.dst, a.src, a.bytes - a.zfill);
    std::memset(static_cast<char*>(a.dst) + (a.bytes - a.zfill), 0, a.zfill);
  }
  struct CopyQueue {
    std::vector<AsyncCopy> open;
    std::deque<std::vector<AsyncCopy>> committed;
  };
  std::vector<CopyQueue> async_;  // per thread of the running block
  std::vector<std::unique_ptr<Fiber>> fibers_;
  unsigned active_ = 0;               // the running block's threads
  std::vector<uint64_t> exchange_;    // the warp primitives' values: two rounds of one per thread
  std::vector<uint32_t> words_;       // and of kWords per thread (mma's fragments)
  std::vector<unsigned char> round_;  // each thread's round (0 or 1)
  void* scheduler_jump_[5] = {};
  const std::function<void()>* body_ = nullptr;
  unsigned running_ = 0;
  size_t waits_ = 0;
  bool direct_ = false;
  bool reverse_ = false;  // this block's threads in reverse order
};

// kernel<<<grid, block>>>(...) as launch(grid, block, [&] { kernel(...); }): the blocks one after another,
// in schedule order.
// kernel: the kernel's identity, or nullptr. A kernel whose first block ever run made no barrier or
// warp-primitive wait runs its threads as plain calls from then on (no fibers: most element-wise
// kernels); should one of its later blocks wait after all, that is an error, not a wrong result.
inline void launch(dim3 grid, dim3 block, const std::function<void()>& body, const void* kernel = nullptr) {
  static Block runner;
  static std::map<const void*, bool> barrier_free;  // per kernel, decided by its first block
  const auto seen = kernel ? barrier_free.find(kernel) : barrier_free.end();
  bool direct = seen != barrier_free.end() && seen->second, decided = !kernel || seen != barrier_free.end();
  here().grid = grid;
  here().block_dim = block;
  const size_t blocks = size_t(grid.x) * grid.y * grid.z;
  const bool reverse = schedule().order == Order::Reverse;
  for (size_t i = 0; i < blocks; ++i) {
    const size_t b = reverse ? blocks - 1 - i : i;
    here().block = {unsigned(b % grid.x), unsigned(b / grid.x % grid.y), unsigned(b / (size_t(grid.x) * grid.y))};
    runner.run(block.x * block.y * block.z, body, direct);
    if (!decided) direct = barrier_free[kernel] = runner.barriers() == 0, decided = true;
  }
}

// The kernel headers' launch(kernel, grid, threads, args...), run by the emulator.
inline auto on_grid() {
  return [](auto kernel, dim3 grid, unsigned threads, const auto&... args) {
    launch(
        grid, dim3(threads), [&] { kernel(args...); }, reinterpret_cast<const void*>(kernel));
  };
}

// A value from lane `from` of the running thread's warp (every lane of the warp takes part).
template <class T>
T exchange(T v, unsigned from_lane, bool valid) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "one slot per thread");
  Block& b = *Block::current();
  const unsigned t = b.running(), w0 = t & ~31u;
  std::memcpy(&b.slot(t, t), &v, sizeof(T));
  b.warp_barrier();
  T r = v;
  if (valid && w0 + from_lane < b.threads()) std::memcpy(&r, &b.slot(t, w0 + from_lane), sizeof(T));
  b.next_round(t);
  return r;
}

// TF32 rounding as cvt.rna.tf32.f32: to 10 mantissa bits, to nearest, ties away from zero (infinities and
// NaN kept); the result's bits (the low 13 zero).
inline uint32_t tf32_rna(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return u;
  return (u + 0x1000u) & 0xffffe000u;
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 with D = C (d in place), n times in a row for the
// pairs (a[p], b[p]) (3xTF32's three products in one rendezvous; the same results as n calls): the PTX
// ISA's fragments (groupID g = lane / 4, t = lane % 4; A: a0 (g, t), a1 (g + 8, t), a2 (g, t + 4),
// a3 (g + 8, t + 4); B: b0 (t, g), b1 (t + 4, g); C: c0 (g, 2t), c1 (g, 2t + 1), c2 (g + 8, 2t),
// c3 (g + 8, 2t + 1)), gathered from the warp. TF32 products are exact in float; each output's eight
// products are summed in k order, then added to C (the device's internal order and precision may
// differ: tests compare it within TF32's bound, not bit for bit).
inline void mma_m16n8k8_tf32_chain(float d[4], const uint32_t* const a[], const uint32_t* const b[], int n) {
  Block& blk = *Block::current();
  const unsigned t = blk.running(), w0 = t & ~31u, lane = t & 31u;
  if (w0 + 32 > blk.threads()) throw std::logic_error("simt: mma.sync in a partial warp");
  if (n < 1 || 6 * unsigned(n) > Block::kWords) throw std::logic_error("simt: too many products in one chain");
  uint32_t* mine = blk.words(t, t);
  for (int p = 0; p < n; ++p) {
    for (int r = 0; r < 4; ++r) mine[6 * p + r] = a[p][r];
    mine[6 * p + 4] = b[p][0], mine[6 * p + 5] = b[p][1];
  }
  blk.warp_barrier();
  const auto value = [](uint32_t bits) {
    float f;
    bits &= 0xffffe000u;  // a .tf32 operand's low 13 bits are not read
    std::memcpy(&f, &bits, sizeof f);
    return f;
  };
  // This lane's outputs need rows g and g + 8 of A (from the four lanes of group g) and columns 2q
  // and 2q + 1 of B (from those of groups 2q and 2q + 1): 12 lanes' fragments, not all 32.
  const unsigned g = lane >> 2, q = lane & 3u;
  float A[3][2][8], B[3][2][8];  // [product][row g, g + 8 / column 2q, 2q + 1][k]
  for (unsigned k = 0; k < 4; ++k) {
    const uint32_t* a_from = blk.words(t, w0 + 4 * g + k);
    const uint32_t* b_from[2] = {blk.words(t, w0 + 8 * q + k), blk.words(t, w0 + 8 * q + 4 + k)};
    for (int p = 0; p < n; ++p) {
      const uint32_t* w = a_from + 6 * p;
      A[p][0][k] = value(w[0]), A[p][1][k] = value(w[1]), A[p][0][k + 4] = value(w[2]), A[p][1][k + 4] = value(w[3]);
      for (int c = 0; c < 2; ++c)
        B[p][c][k] = value(b_from[c][6 * p + 4]), B[p][c][k + 4] = value(b_from[c][6 * p + 5]);
    }
  }
  blk.next_round(t);
  for (int p = 0; p < n; ++p)
    for (unsigned i = 0; i < 4; ++i) {
      float sum = 0.f;
      for (int k = 0; k < 8; ++k) sum += A[p][i >> 1][k] * B[p][i & 1u][k];
      d[i] += sum;
    }
}
inline void mma_m16n8k8_tf32(float d[4], const uint32_t a[4], const uint32_t b[2]) {
  mma_m16n8k8_tf32_chain(d, &a, &b, 1);
}

}  // namespace simt

#ifndef __VECTOR_TYPES_H__
using simt::dim3;
#endif
// CUDA's headers define these for host compilers as attributes; here they are what the emulation needs.
#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __launch_bounds__
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
inline float __fsub_rn(float a, float b) { return a - b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
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
  b.slot(t, t) = predicate ? 1 : 0;
  b.warp_barrier();
  unsigned bits = 0;
  for (unsigned l = 0; l < 32 && w0 + l < b.threads(); ++l) bits |= unsigned(b.slot(t, w0 + l)) << l;
  b.next_round(t);
  return bits;
}
// CUDA's pipeline primitives (cuda_pipeline_primitives.h): size 4, 8 or 16 bytes, both sides aligned to
// it; the last zfill bytes of the destination are zeroed instead of copied.
inline void __pipeline_memcpy_async(void* dst, const void* src, size_t size, size_t zfill = 0) {
  if ((size != 4 && size != 8 && size != 16) || zfill > size || reinterpret_cast<uintptr_t>(dst) % size ||
      reinterpret_cast<uintptr_t>(src) % size)
    throw std::logic_error("simt: __pipeline_memcpy_async: size, fill or alignment CUDA does not allow");
  ::simt::Block::current()->async_copy(dst, src, size, zfill);
}
inline void __pipeline_commit() { ::simt::Block::current()->async_commit(); }
inline void __pipeline_wait_prior(size_t prior) { ::simt::Block::current()->async_wait_prior(prior); }
#define NASWOT_SIMT_EMULATOR 1  // kernel headers: emulation branches (e.g. checked vector loads)
using std::isfinite;            // CUDA's device math declares it unqualified
inline int __popcll(unsigned long long v) { return __builtin_popcountll(v); }
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}
