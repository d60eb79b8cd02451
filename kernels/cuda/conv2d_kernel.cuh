// naswot's batched convolutions, several calls per launch: which of its two kernels runs a shape (the
// direct kernel for the spaces' "same" and 3x3 stride-2 convolutions, the gather kernel for the rest) and
// the many-call launchers. Device code only, no launch syntax, so that tests/simt_emulator.h can run
// them on the CPU (tests/test_conv_kernel_emulated.cpp) as well as nvcc on the GPU (conv2d.cu).
#pragma once
#include <stdexcept>

#include "kernels/cuda/batchnorm_kernels.cuh"
#include "kernels/cuda/conv2d_direct_kernel.cuh"
#include "kernels/cuda/conv2d_gather_kernel.cuh"

namespace naswot::cuda {
namespace {  // one copy per translation unit: the GPU build's and the emulation's never meet

// Which kernel: Automatic takes the direct kernel wherever it applies; Gather the general one wherever
// that applies (stride 1; benchmarks and tests compare the two, which give the same bits), the direct
// one elsewhere (stride 2).
enum class ConvKernel { Automatic, Gather };

template <bool kBackward, class Launch>
void dispatch_conv(const ConvShape& s, const Many<ConvCall>& m, Launch&& launch, ConvKernel k = ConvKernel::Automatic) {
  const bool gather = k == ConvKernel::Gather && s.stride == 1 && s.up == 1;
  if (!gather && conv_direct_supported(s)) return dispatch_conv_direct<kBackward>(s, m, launch);
  dispatch_conv_gather<kBackward>(s, m, launch);
}

// The shapes naswot's kernels take, forward and backward-data: the gather kernel's (stride 1) and the
// direct kernel's (stride 2 too).
inline bool conv2d_kernels_support(const ConvDims& d) {
  return conv2d_shape_supported(d) ||
         (conv_direct_supported(forward_shape(d)) && conv_direct_supported(backward_data_shape(d)));
}

// n calls of one shape in launches of kManyCalls (kernels/ops.def: conv2d_forward, conv2d_backward_data,
// and with relu_in / x as the mask conv2d_relu_forward, conv2d_relu_backward_data: the same tuples).
template <class Launch>
void conv2d_forward_many(const op_args::conv2d_forward* calls, int n, Launch&& launch,
                         ConvKernel k = ConvKernel::Automatic, bool relu_in = false) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_kernels_support(d)) throw std::invalid_argument("cuda conv: shape not supported by naswot's kernels");
  ConvShape s = forward_shape(d);
  s.relu_in = relu_in;
  for_launches<ConvCall>(
      calls, n,
      [](const op_args::conv2d_forward& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), false};
      },
      [&](const Many<ConvCall>& m) { dispatch_conv<false>(s, m, launch, k); });
}

// n backward-data calls of one shape, each packed into a ConvCall by pack.
template <class Args, class Pack, class Launch>
void conv2d_backward_data_calls(const Args* calls, int n, Pack pack, Launch&& launch, ConvKernel k) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_kernels_support(d)) throw std::invalid_argument("cuda conv: shape not supported by naswot's kernels");
  const ConvShape s = backward_data_shape(d);
  for_launches<ConvCall>(calls, n, pack, [&](const Many<ConvCall>& m) { dispatch_conv<true>(s, m, launch, k); });
}

template <class Launch>
void conv2d_backward_data_many(const op_args::conv2d_backward_data* calls, int n, Launch&& launch,
                               ConvKernel k = ConvKernel::Automatic) {
  conv2d_backward_data_calls(
      calls, n,
      [](const op_args::conv2d_backward_data& c) {
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<3>(c), std::get<4>(c)};
      },
      launch, k);
}

template <class Launch>
void conv2d_relu_backward_data_many(const op_args::conv2d_relu_backward_data* calls, int n, Launch&& launch,
                                    ConvKernel k = ConvKernel::Automatic) {
  conv2d_backward_data_calls(
      calls, n,
      [](const op_args::conv2d_relu_backward_data& c) {  // the ReLU's input x is the mask
        return ConvCall{std::get<1>(c), std::get<2>(c), std::get<4>(c), std::get<5>(c), std::get<3>(c)};
      },
      launch, k);
}

// n calls of a convolution with the batch-norm statistics of its output (kernels/ops.def:
// conv2d_forward_bn_stats, or with relu_in conv2d_relu_forward_bn_stats; planes of 64, 256 or 1024
// pixels): the direct kernel sums them as it stores; where the gather kernel runs, the statistics'
// own launch follows (the same order: the same bits). ws and counters as batchnorm_forward_dispatch's.
template <class Launch>
void conv2d_forward_bn_stats_many(const op_args::conv2d_forward_bn_stats* calls, int n, void* ws, unsigned* counters,
                                  Launch&& launch, ConvKernel k = ConvKernel::Automatic, bool relu_in = false) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  const int C = d.Cout, P = d.Ho * d.Wo, B = d.B;
  if (!conv2d_kernels_support(d) || !tile_stats_supported(P))
    throw std::invalid_argument("cuda conv: no batch-norm statistics by naswot's kernels for this shape");
  ConvShape s = forward_shape(d);
  s.relu_in = relu_in;
  const bool by_gather = (k == ConvKernel::Gather && s.stride == 1) || !conv_direct_supported(s);
  s.bn_stats = !by_gather;
  const size_t bytes = bn_workspace_bytes(C, P, B);  // each call's scratch, as batch norm places it
  for (int i0 = 0; i0 < n; i0 += kManyCalls) {
    Many<ConvCall> cm;
    Many<TileStatsCall> tm;
    cm.n = tm.n = std::min(kManyCalls, n - i0);
    for (int j = 0; j < cm.n; ++j) {
      const auto& [dims, x, w, y, eps, mean, rstd] = calls[i0 + j];
      // The next group reuses the scratch: it runs after this group's launches.
      const TileStats st{reinterpret_cast<double*>(static_cast<char*>(ws) + size_t(j) * bytes), counters + j, mean,
                         rstd, eps};
      cm.call[j] = ConvCall{x, w, y, false};
      cm.call[j].stats = st;
      tm.call[j] = TileStatsCall{y, st};
    }
    dispatch_conv<false>(s, cm, launch, k);
    if (by_gather) dispatch_tile_stats(C, P, B, tm, launch);
  }
}

// n calls of a batch norm's backward read through by the convolution before it (kernels/ops.def:
// conv2d_bn_backward_data): per launch group, the batch norm's statistics pass (its coefficients into
// the group's scratch ws, as batchnorm_backward's first launch computes them), then the
// backward-data convolution reading dy through them. counters: kManyCalls zeroed finished-block counts.
template <class Launch>
void conv2d_bn_backward_data_many(const op_args::conv2d_bn_backward_data* calls, int n, void* ws, unsigned* counters,
                                  Launch&& launch, ConvKernel k = ConvKernel::Automatic) {
  if (!n) return;
  const ConvDims d = std::get<0>(calls[0]);
  if (!conv2d_kernels_support(d)) throw std::invalid_argument("cuda conv: shape not supported by naswot's kernels");
  ConvShape s = backward_data_shape(d);
  s.bn_in = true;
  const int C = d.Cout, HW = d.Ho * d.Wo, B = d.B;
  check_sum_extent(B, HW);
  const int nsplit = splits_for(C, B);
  for (int i0 = 0; i0 < n; i0 += kManyCalls) {
    Many<BnCall> bm;
    Many<ConvCall> cm;
    bm.n = cm.n = std::min(kManyCalls, n - i0);
    for (int j = 0; j < bm.n; ++j) {
      const auto& [dims, bn, w, relu_x, dx, acc] = calls[i0 + j];
      BnCall& f = bm.call[j];
      f = BnCall{};
      f.dy = bn.dy, f.x = bn.x, f.gamma = bn.gamma, f.mean = bn.mean, f.rstd = bn.rstd, f.relu_y = bn.relu_y;
      f.counter = counters + j;
      place_scratch(f, C, HW, B, ws, j);  // the next group reuses it: it runs after this group's convolution
      cm.call[j] = ConvCall{bn.dy, w, dx, acc, relu_x, bn.x, bn.relu_y, f.coef, bn.mean};
    }
    launch(channel_sums_k<true>, dim3(unsigned(C), unsigned(nsplit), unsigned(bm.n)), unsigned(kThreads), C, HW, B, bm);
    dispatch_conv<true>(s, cm, launch, k);
  }
}

}  // namespace
}  // namespace naswot::cuda
