// Training-mode batch norm on [B][C][H][W], device code and its launches: per-channel float64 partial
// sums with a fixed-order finalisation (deterministic) by the pass's last block, then an element-wise
// apply; the CPU kernel's arithmetic (kernels/cpu/batchnorm.cpp) in orders of its own. The forward
// statistics of 64-, 256- and 1024-pixel planes are summed in the order of naswot's direct
// convolution's output tiles (kernels/cuda/bn_tile_stats.cuh: the convolution can sum them as it
// stores), the others over sample groups as the backward pass sums. No launch syntax: the dispatchers
// call launch(kernel, grid, threads, args...), on a stream in batchnorm.cu (kernels/cuda/on_stream.cuh)
// and on the CPU under tests/simt_emulator.h (tests/test_batchnorm_kernels_emulated.cpp).
#pragma once
#include <algorithm>
#include <stdexcept>

#include "kernels/bn_tangent.h"
#include "kernels/cuda/bn_grad.cuh"
#include "kernels/cuda/bn_tile_stats.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/many.cuh"
#include "kernels/cuda/reduce.cuh"
#include "kernels/op_table.h"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

constexpr int kMaxSplit = 64;

// Channels x splits blocks keep the GPU busy even for 16-channel layers.
int splits_for(int C, int B) { return std::max(1, std::min({kMaxSplit, B, (1024 + C - 1) / C})); }
void check_sum_extent(int B, int HW) {
  if (size_t(B) * size_t(HW) >= (size_t(1) << 31)) throw std::length_error("cuda batch norm: B * HW >= 2^31");
}

// Each call's scratch for planes of HW pixels: its partial sums (over sample groups, then its
// coefficients; or, forward, over tile rows), 256-byte aligned.
inline size_t bn_workspace_bytes(int C, int HW, int B) {
  const size_t bytes = size_t(C) * splits_for(C, B) * 2 * sizeof(double) + size_t(C) * 3 * sizeof(float);
  return std::max((bytes + 255) / 256 * 256, tile_stats_supported(HW) ? tile_stats_bytes(HW, C, B) : size_t(0));
}

// One call of a batch norm pass (forward or backward) in a launch of several (kernels/cuda/many.cuh):
// its tensors, its scratch (partial sums, per-channel coefficients) and its finished-block counter.
struct BnCall {
  const float* x;
  const float* dy;      // backward
  const float* relu_y;  // backward: a fused ReLU's output, or nullptr
  const float *gamma, *beta;
  const float *mean, *rstd;    // backward: the forward's statistics
  float* out;                  // forward: y; backward: dx
  float *mean_out, *rstd_out;  // forward
  double* partial;
  float* coef;
  unsigned* counter;
  int mode;   // forward: the BnStore; backward: accumulate (0/1)
  float eps;  // forward
};

// What the statistics pass finalises per channel: forward: mean and rstd; backward: g = gamma * rstd,
// a = mean(dy), b = mean(dy * (x - m)) * rstd^2 into coef[3c..]. Both in the CPU kernel's precision.
// One warp per channel: lanes load the nsplit (<= 64) partials, a shuffle tree sums them in a fixed
// order (deterministic), lane 0 finalises.
__device__ void finalise_channel(bool backward, int c, int HW, int nsplit, double M, const BnCall& f) {
  double s, ss;
  warp_sum_partials(f.partial, c, unsigned(nsplit), s, ss);
  if ((threadIdx.x & 31) != 0) return;
  if (backward) {
    const float r = f.rstd[c];
    f.coef[3 * c] = f.gamma[c] * r;
    f.coef[3 * c + 1] = float(s / M);
    f.coef[3 * c + 2] = float(ss / M) * r * r;
    return;
  }
  const double x0 = f.x[size_t(c) * HW];
  const double dmu = s / M;
  const double var = fmax(0.0, ss / M - dmu * dmu);
  const float r = float(1.0 / sqrt(var + double(f.eps)));
  const float m = float(x0 + dmu);
  f.mean_out[c] = m;
  f.rstd_out[c] = r;
}

// dy where a fused ReLU passed (relu_y > 0), else +0: relu_backward's value; dy itself without one.
__device__ inline float relu_passed(const float* __restrict__ dy, const float* __restrict__ relu_y, size_t i) {
  return relu_y && !(relu_y[i] > 0.f) ? 0.f : dy[i];
}

// Sums over channel c (blockIdx.x) of samples b = split, split + nsplit, ... (blockIdx.y) of call
// blockIdx.z: forward (x - x0, (x - x0)^2) or backward (dy, dy * (x - mean)). The call's last block
// to finish finalises every channel (in a fixed order, so the result is deterministic) and rezeroes
// the call's counter: one launch instead of two.
template <bool kBackward>
__global__ void channel_sums_k(int C, int HW, int B, Many<BnCall> a) {
  __shared__ double scratch[32];
  const BnCall& f = a.call[blockIdx.z];
  const float* __restrict__ x = f.x;
  const int c = blockIdx.x, split = blockIdx.y, nsplit = gridDim.y;
  const int nb = (B - split + nsplit - 1) / nsplit;
  // 32-bit index arithmetic (nb * HW < 2^31, checked by the launcher): a 64-bit division per
  // element would cost more than the element's memory traffic.
  const unsigned per = unsigned(nb) * unsigned(HW), hw = unsigned(HW);
  const float ref = kBackward ? f.mean[c] : x[size_t(c) * HW];  // x0: the channel's first value
  double s = 0, ss = 0;
  for (unsigned t = threadIdx.x; t < per; t += blockDim.x) {
    const unsigned q = t / hw;
    const int b = split + int(q) * nsplit;
    const size_t at = (size_t(b) * C + c) * HW + (t - q * hw);
    if (kBackward) {
      const float d = relu_passed(f.dy, f.relu_y, at);
      s += d;
      ss += double(d) * double(x[at] - ref);
    } else {
      const double d = double(x[at]) - double(ref);
      s += d;
      ss += d * d;
    }
  }
  s = block_sum(s, scratch);
  ss = block_sum(ss, scratch);
  if (threadIdx.x == 0) {
    f.partial[(size_t(c) * nsplit + split) * 2] = s;
    f.partial[(size_t(c) * nsplit + split) * 2 + 1] = ss;
    __threadfence();  // the partials are visible device-wide before this block is counted
  }
  if (!last_block_to_finish(f.counter)) return;
  for (int ch = threadIdx.x >> 5; ch < C; ch += blockDim.x >> 5)  // whole warps: blockDim is a multiple of 32
    finalise_channel(kBackward, ch, HW, nsplit, double(B) * HW, f);
  if (threadIdx.x == 0) *f.counter = 0;  // ready for the next launch on this stream
}

// Element-wise passes run one block per (b, c) plane (plane_grid) and call (blockIdx.y): the channel
// comes from blockIdx.x. The forward's from the statistics (batchnorm_apply): y = x * s + (beta -
// mean * s), s = rstd * gamma, each step rounded (explicit intrinsics: the same bits from any caller).
__global__ void bn_apply_k(int C, int HW, Many<BnCall> a) {
  const BnCall& f = a.call[blockIdx.y];
  const float* __restrict__ x = f.x;
  float* y = f.out;
  const BnStore store = BnStore(f.mode);
  const int c = int(blockIdx.x % unsigned(C));
  const size_t base = size_t(blockIdx.x) * HW;
  const float sa = __fmul_rn(f.rstd[c], f.gamma[c]), sb = __fsub_rn(f.beta[c], __fmul_rn(f.mean[c], sa));
  for (int p = threadIdx.x; p < HW; p += blockDim.x) {
    const float v = __fmaf_rn(x[base + p], sa, sb);
    if (store == BnStore::Accumulate)
      y[base + p] = __fadd_rn(y[base + p], v);  // a fused add's term
    else if (store == BnStore::ReLU)
      y[base + p] = v > 0.f ? v : 0.f;  // a fused ReLU
    else
      y[base + p] = v;
  }
}

__global__ void bn_backward_apply_k(int C, int HW, Many<BnCall> a) {
  const BnCall& f = a.call[blockIdx.y];
  const float* __restrict__ x = f.x;
  float* dx = f.out;
  const bool acc = f.mode != 0;
  const int c = int(blockIdx.x % unsigned(C));
  const size_t base = size_t(blockIdx.x) * HW;
  const float g = f.coef[3 * c], ca = f.coef[3 * c + 1], cb = f.coef[3 * c + 2], m = f.mean[c];
  for (int p = threadIdx.x; p < HW; p += blockDim.x) {
    const size_t i = base + p;
    const float v = bn_grad_value(relu_passed(f.dy, f.relu_y, i), x[i], g, ca, cb, m);
    dx[i] = acc ? dx[i] + v : v;
  }
}

// dgamma, dbeta of channel blockIdx.x: float64 sums over every sample and pixel in a fixed order.
__global__ void bn_affine_k(int C, int HW, int B, const float* __restrict__ dy, const float* __restrict__ x,
                            const float* __restrict__ mean, const float* __restrict__ rstd,
                            const float* __restrict__ relu_y, float* dgamma, float* dbeta, bool acc) {
  __shared__ double scratch[32];
  const int c = blockIdx.x;
  const float m = mean[c];
  const unsigned per = unsigned(B) * unsigned(HW), hw = unsigned(HW);
  double s = 0, ss = 0;
  for (unsigned t = threadIdx.x; t < per; t += blockDim.x) {
    const unsigned b = t / hw;
    const size_t at = (size_t(b) * C + c) * HW + (t - b * hw);
    const float d = relu_passed(dy, relu_y, at);
    s += d;
    ss += double(d) * double(x[at] - m);
  }
  s = block_sum(s, scratch);
  ss = block_sum(ss, scratch);
  if (threadIdx.x != 0) return;
  const float g = float(ss * double(rstd[c])), bt = float(s);
  dgamma[c] = acc ? dgamma[c] + g : g;
  dbeta[c] = acc ? dbeta[c] + bt : bt;
}

// The tangents (kernels/bn_tangent.h): channel blockIdx.x's float64 sums over every sample and pixel
// (a fixed-order block sum), its coefficients into coef[kCoef * c ..]; then an element-wise pass.
struct BnTangentCall {
  const float *x, *tx, *dy, *tdy, *gamma, *tgamma, *tbeta, *mean, *rstd, *relu_y;
  float *out, *tdgamma, *tdbeta;
  int mode;  // forward: the BnStore; backward: accumulate (0/1)
};
constexpr int kCoef = 5;

template <bool kBackward>
__global__ void bn_tangent_coef_k(int C, int HW, int B, BnTangentCall f, float* coef) {
  using namespace bn_tangent;
  __shared__ double scratch[32];
  const int c = blockIdx.x;
  const float m = f.mean[c];
  const unsigned per = unsigned(B) * unsigned(HW), hw = unsigned(HW);
  double s[kSums] = {};
  for (unsigned t = threadIdx.x; t < per; t += blockDim.x) {
    const unsigned b = t / hw;
    const size_t at = (size_t(b) * C + c) * HW + (t - b * hw);
    const double tv = f.tx[at], xm = f.x[at] - m;
    s[kT] += tv;
    s[kXT] += xm * tv;
    if (kBackward) {
      const double d = relu_passed(f.dy, f.relu_y, at), td = relu_passed(f.tdy, f.relu_y, at);
      s[kDz] += d;
      s[kDzX] += d * xm;
      s[kTdz] += td;
      s[kTdzX] += td * xm;
      s[kDzT] += d * tv;
    }
  }
  for (int k = 0; k < (kBackward ? int(kSums) : 2); ++k) s[k] = block_sum(s[k], scratch);
  if (threadIdx.x != 0) return;
  const double M = double(B) * HW;
  if (kBackward)
    backward_coefficients(M, f.rstd[c], f.gamma[c], f.tgamma[c], s, coef + kCoef * c, f.tdgamma + c, f.tdbeta + c);
  else
    forward_coefficients(M, f.rstd[c], f.gamma[c], f.tgamma[c], f.tbeta[c], s, coef + kCoef * c);
}

// One block per (b, c) plane (plane_grid).
__global__ void bn_tangent_forward_apply_k(int C, int HW, BnTangentCall f, const float* coef) {
  const int c = int(blockIdx.x % unsigned(C));
  const size_t base = size_t(blockIdx.x) * HW;
  const float* k = coef + kCoef * c;
  const float m = f.mean[c];
  const BnStore store = BnStore(f.mode);
  for (int p = threadIdx.x; p < HW; p += blockDim.x) {
    const size_t i = base + p;
    const float v = k[0] * f.tx[i] + k[1] * (f.x[i] - m) + k[2];
    if (store == BnStore::Accumulate)
      f.out[i] += v;
    else if (store == BnStore::ReLU)
      f.out[i] = f.relu_y[i] > 0.f ? v : 0.f;
    else
      f.out[i] = v;
  }
}

__global__ void bn_tangent_backward_apply_k(int C, int HW, BnTangentCall f, const float* coef) {
  const int c = int(blockIdx.x % unsigned(C));
  const size_t base = size_t(blockIdx.x) * HW;
  const float* k = coef + kCoef * c;
  const float m = f.mean[c];
  for (int p = threadIdx.x; p < HW; p += blockDim.x) {
    const size_t i = base + p;
    const float v = k[0] * relu_passed(f.dy, f.relu_y, i) + k[1] * relu_passed(f.tdy, f.relu_y, i) + k[2] * f.tx[i] +
                    k[3] * (f.x[i] - m) + k[4];
    f.out[i] = f.mode ? f.out[i] + v : v;
  }
}

// The call's scratch: partial sums, then the coefficients.
void place_scratch(BnCall& f, int C, int HW, int B, void* ws, int k) {
  const size_t bytes = bn_workspace_bytes(C, HW, B);
  f.partial = reinterpret_cast<double*>(static_cast<char*>(ws) + size_t(k) * bytes);
  f.coef = reinterpret_cast<float*>(f.partial + size_t(C) * splits_for(C, B) * 2);
}

// The forward statistics of a launch's calls (x, eps, mean_out, rstd_out, partial and counter of each):
// in tile order (bn_tile_stats.cuh) where the planes have 64, 256 or 1024 pixels, else over sample groups.
template <class Launch>
void forward_statistics(int C, int HW, int B, const Many<BnCall>& m, Launch&& launch) {
  if (tile_stats_supported(HW)) {
    Many<TileStatsCall> tm;
    tm.n = m.n;
    for (int j = 0; j < m.n; ++j) {
      const BnCall& f = m.call[j];
      tm.call[j] = TileStatsCall{f.x, TileStats{f.partial, f.counter, f.mean_out, f.rstd_out, f.eps}};
    }
    return dispatch_tile_stats(C, HW, B, tm, launch);
  }
  launch(channel_sums_k<false>, dim3(unsigned(C), unsigned(splits_for(C, B)), unsigned(m.n)), unsigned(kThreads), C, HW,
         B, m);
}

// for_launches over calls whose BnCall (fill(call): the call's own fields) gets the scratch and counter
// of its place in its launch; each(m) issues a launch. The next launch reuses them: it runs after this
// one on the stream.
template <class Args, class Fill, class Each>
void bn_launches(const Args* calls, int n, int C, int HW, int B, void* ws, unsigned* counters, Fill fill, Each each) {
  int k = 0;
  for_launches<BnCall>(
      calls, n,
      [&](const Args& c) {
        BnCall f = fill(c);
        f.counter = counters + k;
        place_scratch(f, C, HW, B, ws, k++);
        return f;
      },
      [&](const Many<BnCall>& m) {
        k = 0;
        each(m);
      });
}

// The launches of n calls of each pass, through launch(kernel, grid, threads, args...).
template <class Launch>
void batchnorm_forward_dispatch(const op_args::batchnorm_forward* calls, int n, void* ws, unsigned* counters,
                                Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
  check_sum_extent(B, HW);
  bn_launches(
      calls, n, C, HW, B, ws, counters,
      [](const op_args::batchnorm_forward& c) {
        BnCall f{};
        f.x = std::get<3>(c), f.gamma = std::get<4>(c), f.beta = std::get<5>(c), f.eps = std::get<6>(c);
        f.out = std::get<7>(c), f.mean = f.mean_out = std::get<8>(c), f.rstd = f.rstd_out = std::get<9>(c);
        f.mode = int(std::get<10>(c));
        return f;
      },
      [&](const Many<BnCall>& m) {
        forward_statistics(C, HW, B, m, launch);
        launch(bn_apply_k, dim3(plane_grid(B, C), unsigned(m.n)), plane_threads(HW), C, HW, m);
      });
}

// The forward statistics alone of convolutions' outputs y where the convolutions do not sum them: n
// calls (d, x, w, y, eps, mean, rstd) of one shape, several per launch.
template <class Launch>
void batchnorm_statistics_dispatch(const op_args::conv2d_forward_bn_stats* calls, int n, void* ws, unsigned* counters,
                                   Launch&& launch) {
  if (!n) return;
  const ConvDims& d = std::get<0>(calls[0]);
  const int C = d.Cout, HW = d.Ho * d.Wo, B = d.B;
  check_sum_extent(B, HW);
  if (C <= 0 || B <= 0 || HW <= 0) return;
  bn_launches(
      calls, n, C, HW, B, ws, counters,
      [](const op_args::conv2d_forward_bn_stats& c) {
        BnCall f{};
        f.x = std::get<3>(c), f.eps = std::get<4>(c), f.mean_out = std::get<5>(c), f.rstd_out = std::get<6>(c);
        return f;
      },
      [&](const Many<BnCall>& m) { forward_statistics(C, HW, B, m, launch); });
}

// batchnorm_apply: the forward's element-wise pass from given statistics.
template <class Launch>
void batchnorm_apply_dispatch(const op_args::batchnorm_apply* calls, int n, Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
  check_sum_extent(B, HW);
  for_launches<BnCall>(
      calls, n,
      [&](const op_args::batchnorm_apply& c) {
        BnCall f{};
        f.x = std::get<3>(c), f.gamma = std::get<4>(c), f.beta = std::get<5>(c), f.mean = std::get<6>(c);
        f.rstd = std::get<7>(c), f.out = std::get<8>(c), f.mode = int(std::get<9>(c));
        return f;
      },
      [&](const Many<BnCall>& m) {
        launch(bn_apply_k, dim3(plane_grid(B, C), unsigned(m.n)), plane_threads(HW), C, HW, m);
      });
}

template <class Launch>
void batchnorm_backward_dispatch(const op_args::batchnorm_backward* calls, int n, void* ws, unsigned* counters,
                                 Launch&& launch) {
  if (!n) return;
  const int C = std::get<0>(calls[0]), HW = std::get<1>(calls[0]), B = std::get<2>(calls[0]);
  check_sum_extent(B, HW);
  const int nsplit = splits_for(C, B);
  bn_launches(
      calls, n, C, HW, B, ws, counters,
      [](const op_args::batchnorm_backward& c) {
        BnCall f{};
        f.dy = std::get<3>(c), f.x = std::get<4>(c), f.gamma = std::get<5>(c), f.mean = std::get<6>(c);
        f.rstd = std::get<7>(c), f.relu_y = std::get<8>(c), f.out = std::get<9>(c);
        f.mode = std::get<10>(c) ? 1 : 0;
        return f;
      },
      [&](const Many<BnCall>& m) {
        launch(channel_sums_k<true>, dim3(unsigned(C), unsigned(nsplit), unsigned(m.n)), unsigned(kThreads), C, HW, B,
               m);
        launch(bn_backward_apply_k, dim3(plane_grid(B, C), unsigned(m.n)), plane_threads(HW), C, HW, m);
      });
}

template <class Launch>
void batchnorm_backward_affine_dispatch(int C, int HW, int B, const float* dy, const float* x, const float* mean,
                                        const float* rstd, const float* relu_y, float* dgamma, float* dbeta, bool acc,
                                        Launch&& launch) {
  check_sum_extent(B, HW);
  if (C <= 0) return;
  launch(bn_affine_k, dim3(unsigned(C)), 1024u, C, HW, B, dy, x, mean, rstd, relu_y, dgamma, dbeta, acc);
}

template <class Launch>
void batchnorm_tangent_forward_dispatch(int C, int HW, int B, const float* x, const float* tx, const float* gamma,
                                        const float* tgamma, const float* tbeta, const float* mean, const float* rstd,
                                        const float* relu_y, float* ty, BnStore store, float* coef, Launch&& launch) {
  check_sum_extent(B, HW);
  if (C <= 0 || B <= 0 || HW <= 0) return;
  BnTangentCall f{};
  f.x = x, f.tx = tx, f.gamma = gamma, f.tgamma = tgamma, f.tbeta = tbeta, f.mean = mean, f.rstd = rstd;
  f.relu_y = relu_y, f.out = ty, f.mode = int(store);
  launch(bn_tangent_coef_k<false>, dim3(unsigned(C)), 1024u, C, HW, B, f, coef);
  launch(bn_tangent_forward_apply_k, dim3(plane_grid(B, C)), plane_threads(HW), C, HW, f, (const float*)coef);
}

template <class Launch>
void batchnorm_tangent_backward_dispatch(int C, int HW, int B, const float* dy, const float* tdy, const float* x,
                                         const float* tx, const float* gamma, const float* tgamma, const float* mean,
                                         const float* rstd, const float* relu_y, float* tdx, float* tdgamma,
                                         float* tdbeta, bool acc, float* coef, Launch&& launch) {
  check_sum_extent(B, HW);
  if (C <= 0 || B <= 0 || HW <= 0) return;
  BnTangentCall f{};
  f.dy = dy, f.tdy = tdy, f.x = x, f.tx = tx, f.gamma = gamma, f.tgamma = tgamma, f.mean = mean, f.rstd = rstd;
  f.relu_y = relu_y, f.out = tdx, f.tdgamma = tdgamma, f.tdbeta = tdbeta, f.mode = acc ? 1 : 0;
  launch(bn_tangent_coef_k<true>, dim3(unsigned(C)), 1024u, C, HW, B, f, coef);
  if (!tdx) return;
  launch(bn_tangent_backward_apply_k, dim3(plane_grid(B, C)), plane_threads(HW), C, HW, f, (const float*)coef);
}

}  // namespace
}  // namespace naswot::cuda
