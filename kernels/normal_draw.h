// Two standard normal values from two 64-bit random draws in plain IEEE double arithmetic: the same bits
// on every CPU build and on a GPU (no libm, no fused multiply-add; docs/nb101.md, Weights).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/host_device.h"

namespace naswot::normal_draw {

// Each + and * rounds on its own. On a GPU the intrinsics keep nvcc from fusing them; on the CPU the
// including file must be compiled with -ffp-contract=off (CMakeLists.txt sets it for the two that are:
// engine/init.cpp and kernels/cpu/draws.cpp).
NASWOT_HOST_DEVICE inline double mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
NASWOT_HOST_DEVICE inline double add(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
// Division and square root round correctly in IEEE arithmetic on both.
NASWOT_HOST_DEVICE inline double div(double a, double b) {
#ifdef __CUDA_ARCH__
  return __ddiv_rn(a, b);
#else
  return a / b;
#endif
}
NASWOT_HOST_DEVICE inline double root(double a) {
#ifdef __CUDA_ARCH__
  return __dsqrt_rn(a);
#else
  return std::sqrt(a);  // inline with -fno-math-errno (engine/init.cpp), so the CPU loop vectorises
#endif
}
NASWOT_HOST_DEVICE inline double from_bits(uint64_t u) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(u));
#else
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
#endif
}
NASWOT_HOST_DEVICE inline uint64_t to_bits(double d) {
#ifdef __CUDA_ARCH__
  return static_cast<uint64_t>(__double_as_longlong(d));
#else
  uint64_t u;
  std::memcpy(&u, &d, sizeof u);
  return u;
#endif
}
// An integer |d| < 2^51 as a double, exactly (the bits of 1.5 * 2^52 + d, less 1.5 * 2^52): no int64
// conversion instruction needed, so the CPU loop vectorises on any x86-64.
NASWOT_HOST_DEVICE inline double small_int(int64_t d) {
  return add(from_bits(static_cast<uint64_t>(d) + 0x4338000000000000ull), -0x1.8p52);
}

// ln u for u in (0, 1] with at most a few ulps of error: u = 2^e m, m in [sqrt(1/2), sqrt(2)),
// ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| <= 0.172, the series to s^23 (its tail < 2^-60).
NASWOT_HOST_DEVICE inline double log_unit(double u) {
  const uint64_t bits = to_bits(u);
  // Subtracting sqrt(1/2)'s bits leaves e in the top bits: e = 0 for u in [sqrt(1/2), sqrt(2)).
  const int64_t e = static_cast<int64_t>(bits - 0x3FE6A09E667F3BCDull) >> 52;
  const double m = from_bits(bits - (static_cast<uint64_t>(e) << 52));
  const double f = add(m, -1.0);  // exact (Sterbenz)
  const double s = div(f, add(2.0, f)), z = mul(s, s);
  double p = 0x1.642c8590b2164p-4;  // 2/23
  p = add(0x1.8618618618618p-4, mul(z, p));
  p = add(0x1.af286bca1af28p-4, mul(z, p));
  p = add(0x1.e1e1e1e1e1e1ep-4, mul(z, p));
  p = add(0x1.1111111111111p-3, mul(z, p));
  p = add(0x1.3b13b13b13b14p-3, mul(z, p));
  p = add(0x1.745d1745d1746p-3, mul(z, p));
  p = add(0x1.c71c71c71c71cp-3, mul(z, p));
  p = add(0x1.2492492492492p-2, mul(z, p));
  p = add(0x1.999999999999ap-2, mul(z, p));
  p = add(0x1.5555555555555p-1, mul(z, p));  // 2/3
  p = add(2.0, mul(z, p));
  // ln 2 = hi + lo with hi's 21 significant bits, so e * hi is exact.
  const double de = small_int(e);
  return add(mul(de, 0x1.62e42p-1), add(mul(s, p), mul(de, 0x1.fdf473de6af28p-22)));
}

struct Pair {
  double z0, z1;
};

// Box-Muller: r1's top 52 bits give u in (0, 1], the radius sqrt(-2 ln u); r2's give the angle
// 2 pi t, t in [0, 1); z0 = radius cos, z1 = radius sin. Cosine and sine come from Taylor series of
// (pi/2) f over f in [-1/2, 1/2) after an exact reduction by quarter turns.
NASWOT_HOST_DEVICE inline Pair pair(uint64_t r1, uint64_t r2) {
  const double u = add(2.0, -from_bits(0x3FF0000000000000ull | (r1 >> 12)));  // 2 - (1 + k 2^-52), exact
  const double radius = root(mul(-2.0, log_unit(u)));

  const uint64_t k = r2 >> 12;                  // t = k 2^-52
  const uint64_t q = (k + (1ull << 49)) >> 50;  // nearest quarter turn, 0..4
  const double f = mul(small_int(static_cast<int64_t>(k) - static_cast<int64_t>(q << 50)), 0x1p-50);
  const double w = mul(f, f);
  double s = 0x1.aaec32af93359p-38;  // (pi/2)^17 / 17!
  s = add(-0x1.6fadb9f155744p-31, mul(w, s));
  s = add(0x1.e8f434d018d63p-25, mul(w, s));
  s = add(-0x1.e3074fde8871fp-19, mul(w, s));
  s = add(0x1.50783487ee782p-13, mul(w, s));
  s = add(-0x1.32d2cce62bd86p-8, mul(w, s));
  s = add(0x1.466bc6775aae2p-4, mul(w, s));
  s = add(-0x1.4abbce625be53p-1, mul(w, s));
  s = mul(f, add(0x1.921fb54442d18p+0, mul(w, s)));  // sin((pi/2) f)
  double c = -0x1.2a0c591af8314p-41;                 // -(pi/2)^18 / 18!
  c = add(0x1.20c62c2f2d7f5p-34, mul(w, c));
  c = add(-0x1.b6e24f44b128fp-28, mul(w, c));
  c = add(0x1.f9d38a3763cc3p-22, mul(w, c));
  c = add(-0x1.a6d1f2a204a8cp-16, mul(w, c));
  c = add(0x1.e1f506891babbp-11, mul(w, c));
  c = add(-0x1.55d3c7e3cbffap-6, mul(w, c));
  c = add(0x1.03c1f081b5ac4p-2, mul(w, c));
  c = add(-0x1.3bd3cc9be45dep+0, mul(w, c));
  c = add(1.0, mul(w, c));  // cos((pi/2) f)
  // The angle is (pi/2)(q + f): odd quarters swap cosine and sine; the signs follow the quadrant.
  const bool odd = (q & 1) != 0;
  const double cq = odd ? s : c, sq = odd ? c : s;
  const double cos_t = ((q + 1) & 2) ? -cq : cq, sin_t = (q & 2) ? -sq : sq;
  return {mul(radius, cos_t), mul(radius, sin_t)};
}

}  // namespace naswot::normal_draw
