// The normal draws give the same float64 bits on the GPU as on the CPU (docs/nb101.md, Normal draws):
// the property that lets a device draw the weights the CPU would.
#include <doctest/doctest.h>

#include <cstring>

#include "engine/init.h"
#include "engine/rng.h"
#include "tests/gpu/normal_draws_device.h"

using namespace naswot;

TEST_CASE("normal draws: the GPU's float64 values equal the CPU's bit for bit") {
  const uint64_t key = stream_key(2026, 12, 5);
  std::vector<uint64_t> r1, r2;
  for (uint64_t j = 0; j < 200000; ++j) r1.push_back(draw(key, 2 * j)), r2.push_back(draw(key, 2 * j + 1));
  // The radius's ends (u = 1 and u = 2^-52) and the angle at and beside every quarter turn.
  const uint64_t top = (uint64_t(1) << 52) - 1;
  for (const uint64_t k1 : {uint64_t(0), top, uint64_t(1) << 51})
    for (uint64_t q = 0; q <= 4; ++q)
      for (const int64_t d : {-1, 0, 1}) {
        const int64_t k2 = int64_t(q << 50) + d;
        if (k2 < 0 || k2 > int64_t(top)) continue;
        r1.push_back(k1 << 12), r2.push_back(uint64_t(k2) << 12);
      }
  const std::vector<double> z = test::normal_pairs_on_device(r1, r2);
  // The CPU's values: engine/init.cpp's build of the same arithmetic (compiled without contraction).
  size_t differ = 0;
  for (size_t i = 0; i < r1.size(); ++i) {
    const auto [z0, z1] = normal_pair(r1[i], r2[i]);
    differ += std::memcmp(&z[2 * i], &z0, 8) != 0 || std::memcmp(&z[2 * i + 1], &z1, 8) != 0;
  }
  MESSAGE(r1.size() << " pairs, " << differ << " differ");
  CHECK(differ == 0);
}
