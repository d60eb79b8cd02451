// Batch norm's tangent coefficients (kernels/ops.def, batchnorm_tangent_*) from its per-channel sums:
// one formula for the CPU and CUDA kernels.
#pragma once

#include "kernels/host_device.h"

namespace naswot::bn_tangent {

// The per-channel sums over the real values, t = tx, xm = x - mean, dz and tdz = dy and tdy through
// the fused ReLU's mask; the forward tangent needs the first two.
enum Sum { kT, kXT, kDz, kDzX, kTdz, kTdzX, kDzT, kSums };
//         t   xm*t dz  dz*xm tdz  tdz*xm dz*t

// With xhat = xm * r and s1 = mean(xhat * t), the input's tangent moves xhat by
// txhat = r * (t - mean(t) - xhat * s1). Forward: ty = gamma txhat + tgamma xhat + tbeta
// = f[0] * t + f[1] * xm + f[2].
NASWOT_HOST_DEVICE inline void forward_coefficients(double M, double r, double g, double tg, double tbeta,
                                                    const double* s, float* f) {
  const double mt = s[kT] / M, s1 = r * s[kXT] / M;
  f[0] = float(g * r);
  f[1] = float(r * (tg - g * r * s1));
  f[2] = float(tbeta - g * r * mt);
}

// Backward: dx = g r (dz - a - xhat b), a = mean(dz), b = mean(dz xhat). Its tangent, with
// tr = -r^2 s1 (rstd's), k1 = tgamma r + g tr, ta = mean(tdz), tb = mean(tdz xhat + dz txhat):
// tdx = k1 dz + g r tdz - g r^2 b t + xhat (-k1 b + g r^2 s1 b - g r tb) - k1 a - g r ta + g r^2 b mean(t)
// = k[0] dz + k[1] tdz + k[2] t + k[3] xm + k[4]; the affine gradients' tangents: tdgamma = M tb,
// tdbeta = sum tdz.
NASWOT_HOST_DEVICE inline void backward_coefficients(double M, double r, double g, double tg, const double* s, float* k,
                                                     float* tdgamma, float* tdbeta) {
  const double mt = s[kT] / M, s1 = r * s[kXT] / M, a = s[kDz] / M, b = r * s[kDzX] / M;
  const double ta = s[kTdz] / M, tb = r * (s[kTdzX] / M + s[kDzT] / M - mt * a - s1 * b);
  const double gr = g * r, k1 = tg * r - gr * r * s1;
  k[0] = float(k1);
  k[1] = float(gr);
  k[2] = float(-gr * r * b);
  k[3] = float(r * (-k1 * b + gr * r * s1 * b - gr * tb));
  k[4] = float(-k1 * a - gr * ta + gr * r * b * mt);
  *tdgamma = float(M * tb);
  *tdbeta = float(s[kTdz]);
}

}  // namespace naswot::bn_tangent
