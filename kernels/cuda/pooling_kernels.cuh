// Pools on [B][C][H][W], several calls per launch (kernels/cuda/many.cuh): max pool (CPU tie rule,
// gather backward), the 3x3 and 2x2 average pools (the CPU kernels' rounding) and global average pool.
// Device code and its launches without launch syntax: the launchers call launch(kernel, grid,
// threads, args...), on a stream in pooling.cu (kernels/cuda/on_stream.cuh) and on the CPU under
// tests/simt_emulator.h.
#pragma once
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// Index (within the plane) of the first maximum of output (i, j)'s window, or -1 if it has no pixel.
__device__ inline int window_argmax(const float* __restrict__ plane, int H, int W, int k, int stride, int pad, int i,
                                    int j) {
  int arg = -1;
  float best = 0.f;
  for (int di = 0; di < k; ++di) {
    const int ii = i * stride - pad + di;
    if (ii < 0 || ii >= H) continue;
    for (int dj = 0; dj < k; ++dj) {
      const int jj = j * stride - pad + dj;
      if (jj < 0 || jj >= W) continue;
      const float v = plane[ii * W + jj];
      if (arg < 0 || v > best) best = v, arg = ii * W + jj;
    }
  }
  return arg;
}

// One block per (b, c) plane (plane_grid) and call (blockIdx.y), threads over its outputs: no 64-bit
// index division.
struct PoolCall {
  const float* x;   // forward: the input; backward: the input of the max pool (its argmax), or unused
  const float* dy;  // backward: dy; the max pool's tangent: the input's tangent
  float* y;         // forward: the output; backward: dx
  bool acc;
};
struct PoolShape {
  int H, W, Ho, Wo, k, stride, pad;
};

__global__ void maxpool_forward_k(PoolShape sh, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const float* p = c.x + size_t(blockIdx.x) * sh.H * sh.W;
  float* out = c.y + size_t(blockIdx.x) * sh.Ho * sh.Wo;
  for (int r = threadIdx.x; r < sh.Ho * sh.Wo; r += blockDim.x) {
    const int i = r / sh.Wo, j = r - i * sh.Wo;
    // The CPU forward keeps max(in, out) with `in > out` from the first in-image pixel: the value of
    // the first maximum.
    const int arg = window_argmax(p, sh.H, sh.W, sh.k, sh.stride, sh.pad, i, j);
    out[r] = arg < 0 ? 0.f : p[arg];
  }
}

// The tangent at each window's first maximum (the backward pass's choice).
__global__ void maxpool_tangent_forward_k(PoolShape sh, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const size_t plane = size_t(blockIdx.x) * sh.H * sh.W;
  float* out = c.y + size_t(blockIdx.x) * sh.Ho * sh.Wo;
  for (int r = threadIdx.x; r < sh.Ho * sh.Wo; r += blockDim.x) {
    const int i = r / sh.Wo, j = r - i * sh.Wo;
    const int arg = window_argmax(c.x + plane, sh.H, sh.W, sh.k, sh.stride, sh.pad, i, j);
    out[r] = arg < 0 ? 0.f : c.dy[plane + arg];
  }
}

// Each input pixel sums dy of the outputs whose window's first maximum it is (fixed order); one
// block per plane, threads over its pixels.
__global__ void maxpool_backward_k(PoolShape sh, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const int H = sh.H, W = sh.W, Ho = sh.Ho, Wo = sh.Wo, k = sh.k, stride = sh.stride, pad = sh.pad;
  const float* p = c.x + size_t(blockIdx.x) * H * W;
  const float* g = c.dy + size_t(blockIdx.x) * Ho * Wo;
  float* d = c.y + size_t(blockIdx.x) * H * W;
  for (int r = threadIdx.x; r < H * W; r += blockDim.x) {
    const int ii = r / W, jj = r - ii * W;
    // Outputs i with i*stride - pad <= ii <= i*stride - pad + k - 1.
    const int i_lo = max(0, (ii + pad - k + stride) / stride), i_hi = min(Ho - 1, (ii + pad) / stride);
    const int j_lo = max(0, (jj + pad - k + stride) / stride), j_hi = min(Wo - 1, (jj + pad) / stride);
    float v = 0.f;
    for (int i = i_lo; i <= i_hi; ++i)
      for (int j = j_lo; j <= j_hi; ++j)
        if (window_argmax(p, H, W, k, stride, pad, i, j) == r) v += g[i * Wo + j];
    d[r] = c.acc ? d[r] + v : v;
  }
}

// In-image pixels of the 3x3 window centred on (i, j) (count_include_pad = false).
__device__ inline int window_count(int i, int j, int H, int W) {
  return (3 - (i == 0) - (i == H - 1)) * (3 - (j == 0) - (j == W - 1));
}

// The CPU kernels' arithmetic, rounding for rounding (explicit intrinsics: no contraction): the
// window's sum from +0 in row-major order, times the correctly rounded 1/count.
__global__ void avgpool3x3_forward_k(int H, int W, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const float* p = c.x + size_t(blockIdx.x) * H * W;
  float* out = c.y + size_t(blockIdx.x) * H * W;
  for (int r = threadIdx.x; r < H * W; r += blockDim.x) {
    const int i = r / W, j = r - i * W;
    float s = 0.f;
    for (int ii = max(0, i - 1); ii <= min(H - 1, i + 1); ++ii)
      for (int jj = max(0, j - 1); jj <= min(W - 1, j + 1); ++jj) s = __fadd_rn(s, p[ii * W + jj]);
    const float v = __fmul_rn(s, __fdiv_rn(1.f, float(window_count(i, j, H, W))));
    out[r] = c.acc ? __fadd_rn(out[r], v) : v;
  }
}

// Input pixel (i, j) gathers dy / count from the outputs within distance 1, fused multiply-adds in
// window order (as the CPU kernel).
__global__ void avgpool3x3_backward_k(int H, int W, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const float* g = c.dy + size_t(blockIdx.x) * H * W;
  float* d = c.y + size_t(blockIdx.x) * H * W;
  for (int r = threadIdx.x; r < H * W; r += blockDim.x) {
    const int i = r / W, j = r - i * W;
    float v = c.acc ? d[r] : 0.f;
    for (int ii = max(0, i - 1); ii <= min(H - 1, i + 1); ++ii)
      for (int jj = max(0, j - 1); jj <= min(W - 1, j + 1); ++jj)
        v = __fmaf_rn(g[ii * W + jj], __fdiv_rn(1.f, float(window_count(ii, jj, H, W))), v);
    d[r] = v;
  }
}

__global__ void avgpool2x2_forward_k(int H, int W, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const int Ho = H / 2, Wo = W / 2;
  const float* p = c.x + size_t(blockIdx.x) * H * W;
  float* out = c.y + size_t(blockIdx.x) * Ho * Wo;
  for (int r = threadIdx.x; r < Ho * Wo; r += blockDim.x) {
    const int i = r / Wo, j = r - i * Wo;
    const float* q = p + 2 * i * W + 2 * j;
    out[r] = __fmul_rn(__fadd_rn(__fadd_rn(__fadd_rn(q[0], q[1]), q[W]), q[W + 1]), 0.25f);
  }
}

// Odd trailing rows and columns (dropped by the forward pass) get no gradient.
__global__ void avgpool2x2_backward_k(int H, int W, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const int Ho = H / 2, Wo = W / 2;
  const float* g = c.dy + size_t(blockIdx.x) * Ho * Wo;
  float* d = c.y + size_t(blockIdx.x) * H * W;
  for (int r = threadIdx.x; r < H * W; r += blockDim.x) {
    const int i = r / W, j = r - i * W;
    const float v = i / 2 < Ho && j / 2 < Wo ? __fmul_rn(g[(i / 2) * Wo + j / 2], 0.25f) : 0.f;
    d[r] = c.acc ? __fadd_rn(d[r], v) : v;
  }
}

// One warp per (b, c) plane.
__global__ void gap_forward_k(size_t planes, int HW, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const size_t warp = (blockIdx.x * size_t(blockDim.x) + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= planes) return;
  const float* p = c.x + warp * HW;
  float s = 0.f;
  for (int i = lane; i < HW; i += 32) s += p[i];
  for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
  if (lane == 0) c.y[warp] = s / float(HW);
}

// One block per (b, c) plane (plane_grid).
__global__ void gap_backward_k(int HW, Many<PoolCall> a) {
  const PoolCall c = a.call[blockIdx.y];
  const float v = c.dy[blockIdx.x] / float(HW);
  const size_t base = size_t(blockIdx.x) * HW;
  for (int p = threadIdx.x; p < HW; p += blockDim.x) c.y[base + p] = c.acc ? c.y[base + p] + v : v;
}

// A max pool call's shape (its arguments begin C, H, W, B, k, stride, pad).
template <class Args>
PoolShape maxpool_shape(const Args& c) {
  const int H = std::get<1>(c), W = std::get<2>(c), k = std::get<4>(c), stride = std::get<5>(c), pad = std::get<6>(c);
  return {H, W, (H + 2 * pad - k) / stride + 1, (W + 2 * pad - k) / stride + 1, k, stride, pad};
}

template <class Launch>
void maxpool_forward_many(const op_args::maxpool_forward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), B = std::get<3>(calls[0]);
  const PoolShape sh = maxpool_shape(calls[0]);
  if (size_t(B) * C * sh.Ho * sh.Wo == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::maxpool_forward& c) {
        return PoolCall{std::get<7>(c), nullptr, std::get<8>(c), false};
      },
      [&](const Many<PoolCall>& m) {
        launch(maxpool_forward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(sh.Ho * sh.Wo)), sh, m);
      });
}

template <class Launch>
void maxpool_backward_many(const op_args::maxpool_backward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), B = std::get<3>(calls[0]);
  const PoolShape sh = maxpool_shape(calls[0]);
  if (size_t(B) * C * sh.H * sh.W == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::maxpool_backward& c) {
        return PoolCall{std::get<7>(c), std::get<8>(c), std::get<9>(c), std::get<10>(c)};
      },
      [&](const Many<PoolCall>& m) {
        launch(maxpool_backward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(sh.H * sh.W)), sh, m);
      });
}

template <class Launch>
void maxpool_tangent_forward_many(const op_args::maxpool_tangent_forward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), B = std::get<3>(calls[0]);
  const PoolShape sh = maxpool_shape(calls[0]);
  if (size_t(B) * C * sh.Ho * sh.Wo == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::maxpool_tangent_forward& c) {
        return PoolCall{std::get<7>(c), std::get<8>(c), std::get<9>(c), false};  // dy: the input's tangent
      },
      [&](const Many<PoolCall>& m) {
        launch(maxpool_tangent_forward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(sh.Ho * sh.Wo)), sh, m);
      });
}

template <class Launch>
void avgpool3x3_forward_many(const op_args::avgpool3x3_forward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), H = std::get<1>(calls[0]), W = std::get<2>(calls[0]), B = std::get<3>(calls[0]);
  if (size_t(B) * C * H * W == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::avgpool3x3_forward& c) {
        return PoolCall{std::get<4>(c), nullptr, std::get<5>(c), std::get<6>(c)};
      },
      [&](const Many<PoolCall>& m) {
        launch(avgpool3x3_forward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(H * W)), H, W, m);
      });
}

template <class Launch>
void avgpool3x3_backward_many(const op_args::avgpool3x3_backward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), H = std::get<1>(calls[0]), W = std::get<2>(calls[0]), B = std::get<3>(calls[0]);
  if (size_t(B) * C * H * W == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::avgpool3x3_backward& c) {
        return PoolCall{nullptr, std::get<4>(c), std::get<5>(c), std::get<6>(c)};
      },
      [&](const Many<PoolCall>& m) {
        launch(avgpool3x3_backward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(H * W)), H, W, m);
      });
}

template <class Launch>
void avgpool2x2_forward_many(const op_args::avgpool2x2_forward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), H = std::get<1>(calls[0]), W = std::get<2>(calls[0]), B = std::get<3>(calls[0]);
  if (size_t(B) * C * (H / 2) * (W / 2) == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::avgpool2x2_forward& c) {
        return PoolCall{std::get<4>(c), nullptr, std::get<5>(c), false};
      },
      [&](const Many<PoolCall>& m) {
        launch(avgpool2x2_forward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads((H / 2) * (W / 2))), H, W, m);
      });
}

template <class Launch>
void avgpool2x2_backward_many(const op_args::avgpool2x2_backward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), H = std::get<1>(calls[0]), W = std::get<2>(calls[0]), B = std::get<3>(calls[0]);
  if (size_t(B) * C * H * W == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::avgpool2x2_backward& c) {
        return PoolCall{nullptr, std::get<4>(c), std::get<5>(c), std::get<6>(c)};
      },
      [&](const Many<PoolCall>& m) {
        launch(avgpool2x2_backward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(H * W)), H, W, m);
      });
}

template <class Launch>
void global_avgpool_forward_many(const op_args::global_avgpool_forward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
  const size_t planes = size_t(B) * C;
  if (!planes) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::global_avgpool_forward& c) {
        return PoolCall{std::get<3>(c), nullptr, std::get<4>(c), false};
      },
      [&](const Many<PoolCall>& m) {
        launch(gap_forward_k, dim3(unsigned((planes * 32 + kThreads - 1) / kThreads), m.n), unsigned(kThreads), planes,
               HW, m);
      });
}

template <class Launch>
void global_avgpool_backward_many(const op_args::global_avgpool_backward* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
  if (size_t(B) * C * HW == 0) return;
  for_launches<PoolCall>(
      calls, n,
      [](const op_args::global_avgpool_backward& c) {
        return PoolCall{nullptr, std::get<3>(c), std::get<4>(c), std::get<5>(c)};
      },
      [&](const Many<PoolCall>& m) {
        launch(gap_backward_k, dim3(plane_grid(B, C), m.n), unsigned(plane_threads(HW)), HW, m);
      });
}

}  // namespace
}  // namespace naswot::cuda
