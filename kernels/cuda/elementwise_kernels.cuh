// Element-wise CUDA kernels: fill, ReLU, n-ary add, copy/accumulate (several calls per launch),
// per-sample block copy, bias.
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in elementwise.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

#define GRID_STRIDE(i, n) \
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

// The many-call kernels: blockIdx.y is the call (kernels/cuda/many.cuh).
struct FillCall {
  float v;
  float* y;
};
__global__ void fill_k(size_t n, Many<FillCall> a) {
  const FillCall c = a.call[blockIdx.y];
  GRID_STRIDE(i, n) c.y[i] = c.v;
}
struct ReluCall {
  const float* x;
  float* y;
};
__global__ void relu_forward_k(size_t n, Many<ReluCall> a) {
  const ReluCall c = a.call[blockIdx.y];
  GRID_STRIDE(i, n) c.y[i] = c.x[i] > 0.f ? c.x[i] : 0.f;
}
struct ReluBackCall {
  const float *dy, *y;
  float* dx;
  bool acc;
};
__global__ void relu_backward_k(size_t n, Many<ReluBackCall> a) {
  const ReluBackCall c = a.call[blockIdx.y];
  GRID_STRIDE(i, n) {
    const float g = c.y[i] > 0.f ? c.dy[i] : 0.f;
    c.dx[i] = c.acc ? c.dx[i] + g : g;
  }
}

constexpr int kMaxAdd = 8;  // inputs per launch of one call (more: further launches add to y)
struct AddCall {
  const float* x[kMaxAdd];
  float* y;
};
// y = x0 + x1 + ... in input order (as the CPU kernel sums), or y += ... when `first` is false.
__global__ void add_k(size_t n, Many<AddCall> a, int count, bool first) {
  const AddCall& c = a.call[blockIdx.y];
  GRID_STRIDE(i, n) {
    float v = first ? c.x[0][i] : c.y[i];
    for (int j = first ? 1 : 0; j < count; ++j) v += c.x[j][i];
    c.y[i] = v;
  }
}
struct CopyCall {
  const float* src;
  float* dst;
  bool acc;
};
__global__ void copy_k(size_t n, Many<CopyCall> a) {
  const CopyCall c = a.call[blockIdx.y];
  GRID_STRIDE(i, n) c.dst[i] = c.acc ? c.dst[i] + c.src[i] : c.src[i];
}
__global__ void copy_block_k(int B, size_t len, const float* __restrict__ src, size_t sps, size_t soff, float* dst,
                             size_t dps, size_t doff, bool acc) {
  const size_t n = size_t(B) * len;
  GRID_STRIDE(i, n) {
    const size_t b = i / len, e = i % len;
    const float v = src[b * sps + soff + e];
    float& d = dst[b * dps + doff + e];
    d = acc ? d + v : v;
  }
}
__global__ void add_bias_k(int B, int Out, const float* __restrict__ bias, float* y) {
  const size_t n = size_t(B) * Out;
  GRID_STRIDE(i, n) y[i] += bias[i % Out];
}
#undef GRID_STRIDE

template <class Launch>
void fill_many(const op_args::fill* calls, int n, Launch&& launch) {
  const size_t len = n ? std::get<0>(calls[0]) : 0;
  if (!len) return;
  for_launches<FillCall>(
      calls, n,
      [](const op_args::fill& c) {
        return FillCall{std::get<1>(c), std::get<2>(c)};
      },
      [&](const Many<FillCall>& m) {
        launch(fill_k, dim3(blocks_per_call(len, m.n), m.n), unsigned(kThreads), len, m);
      });
}
template <class Launch>
void relu_forward_many(const op_args::relu_forward* calls, int n, Launch&& launch) {
  const size_t len = n ? std::get<0>(calls[0]) : 0;
  if (!len) return;
  for_launches<ReluCall>(
      calls, n,
      [](const op_args::relu_forward& c) {
        return ReluCall{std::get<1>(c), std::get<2>(c)};
      },
      [&](const Many<ReluCall>& m) {
        launch(relu_forward_k, dim3(blocks_per_call(len, m.n), m.n), unsigned(kThreads), len, m);
      });
}
template <class Launch>
void relu_backward_many(const op_args::relu_backward* calls, int n, Launch&& launch) {
  const size_t len = n ? std::get<0>(calls[0]) : 0;
  if (!len) return;
  for_launches<ReluBackCall>(
      calls, n,
      [](const op_args::relu_backward& c) {
        return ReluBackCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), std::get<4>(c)};
      },
      [&](const Many<ReluBackCall>& m) {
        launch(relu_backward_k, dim3(blocks_per_call(len, m.n), m.n), unsigned(kThreads), len, m);
      });
}
template <class Launch>
void add_forward_many(const op_args::add_forward* calls, int n, Launch&& launch) {
  const size_t len = n ? std::get<0>(calls[0]) : 0;
  const int count = n ? std::get<2>(calls[0]) : 0;  // equal in every call of a step
  if (!len || count <= 0) return;
  // Inputs j0 .. j0 + kMaxAdd - 1 of every call per pass: the first pass writes y, later ones add.
  for (int j0 = 0; j0 < count; j0 += kMaxAdd) {
    const int c = std::min(kMaxAdd, count - j0);
    for_launches<AddCall>(
        calls, n,
        [&](const op_args::add_forward& a) {
          AddCall r{};
          for (int j = 0; j < c; ++j) r.x[j] = std::get<1>(a)[j0 + j];
          r.y = std::get<3>(a);
          return r;
        },
        [&](const Many<AddCall>& m) {
          launch(add_k, dim3(blocks_per_call(len, m.n), m.n), unsigned(kThreads), len, m, c, j0 == 0);
        });
  }
}
template <class Launch>
void copy_or_accumulate_many(const op_args::copy_or_accumulate* calls, int n, Launch&& launch) {
  const size_t len = n ? std::get<0>(calls[0]) : 0;
  if (!len) return;
  for_launches<CopyCall>(
      calls, n,
      [](const op_args::copy_or_accumulate& c) {
        return CopyCall{std::get<1>(c), std::get<2>(c), std::get<3>(c)};
      },
      [&](const Many<CopyCall>& m) {
        launch(copy_k, dim3(blocks_per_call(len, m.n), m.n), unsigned(kThreads), len, m);
      });
}

template <class Launch>
void copy_block(int B, size_t len, const float* src, size_t sps, size_t soff, float* dst, size_t dps, size_t doff,
                bool acc, Launch&& launch) {
  const size_t n = size_t(B) * len;
  if (!n) return;
  launch(copy_block_k, dim3(grid_for(n)), unsigned(kThreads), B, len, src, sps, soff, dst, dps, doff, acc);
}
template <class Launch>
void add_bias(int B, int Out, const float* bias, float* y, Launch&& launch) {
  const size_t n = size_t(B) * Out;
  if (!n) return;
  launch(add_bias_k, dim3(grid_for(n)), unsigned(kThreads), B, Out, bias, y);
}

}  // namespace
}  // namespace naswot::cuda
