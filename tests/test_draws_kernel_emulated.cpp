// The CUDA draw kernel (kernels/cuda/draws_kernel.cuh) run on the CPU by the SIMT emulator: whole
// networks' weights (NB101's He-normal, NB201's uniform) and a table longer than one launch equal the
// host's init_params bit for bit. Compiled without contraction, as the host's draws are (the device
// rounds each operation by intrinsics; its own test compares the device).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "engine/init.h"
#include "engine/rng.h"
#include "kernels/cpu/cpu_kernels.h"
#include "searchspaces/space.h"
// After the standard headers: the emulator defines CUDA's keywords for the kernel header below.
#include "tests/simt_emulator.h"
// clang-format off
#include "kernels/cuda/draws_kernel.cuh"
// clang-format on

using namespace naswot;

namespace {

std::vector<float> emulated_draws(const std::vector<WeightDraw>& table, size_t n) {
  std::vector<float> params(n, -7.f);
  cuda::dispatch_draws(table.data(), int(table.size()), params.data(), simt::on_grid());
  return params;
}

}  // namespace

TEST_CASE("the CUDA draw kernel, emulated: networks' weights = init_params bit for bit") {
  for (const char* space : {"nb101", "nb201"}) {
    const Space& sp = space_named(space);
    for (long index : {0L, sp.size() / 3}) {
      CAPTURE(space);
      CAPTURE(index);
      const Graph g = sp.build(index, NetShape{});
      const std::vector<WeightDraw> table = weight_draws(g, 5, sp.weight_key(index));
      REQUIRE(table.size() > size_t(cuda::kDrawsPerLaunch));  // several launches
      CHECK(emulated_draws(table, g.num_params()) == init_params(g, 5, sp.weight_key(index)));
    }
  }
}

TEST_CASE("the CUDA draw kernel, emulated: a tensor larger than one grid stride, odd normal sizes, a gap") {
  // 256 blocks x 256 threads cover 65,536 values (normal tensors: pairs) per stride.
  const std::vector<WeightDraw> table{{WeightDraw::Normal, stream_key(3, 1), 0, 200001, 0.f, 0.5},
                                      {WeightDraw::Uniform, stream_key(3, 2), 200001, 140000, 0.25f, 0.0},
                                      {WeightDraw::Fill, 0, 340003, 5, 1.5f, 0.0}};
  const std::vector<float> got = emulated_draws(table, 340008);
  std::vector<float> want(340008, -7.f);
  cpu::draw_weights(table.data(), int(table.size()), want.data());
  CHECK(got == want);
  CHECK(got[340001] == -7.f);  // the gap is not written
  CHECK(got[340002] == -7.f);
}
