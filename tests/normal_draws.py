"""The normal draws, recomputed from docs/nb101.md (Weights, "Normal draws") in pure Python.

Python's floats round every +, -, *, / and sqrt on its own, as the documented arithmetic does; so every
normal-distributed weight the engine exports (NB101's convolutions and classifier, zen's network) and
zen's two input batches must come out bit for bit. A build that fused a multiply-add, used libm, or
mapped draws to elements differently fails here. Each value is also checked against libm's Box-Muller
(within 1e-13 of the radius), so the formula itself is a normal draw.

usage: normal_draws.py NASWOT DATA_DIR
"""
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np

M64 = (1 << 64) - 1


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def stream_key(a, b=0, c=0):
    k = mix64((a + 0x6A09E667F3BCC909) & M64)
    k = mix64(k ^ ((b + 0xBB67AE8584CAA73B) & M64))
    return mix64(k ^ ((c + 0x3C6EF372FE94F82B) & M64))


def draw(key, j):
    return mix64((key + (j + 1) * 0x9E3779B97F4A7C15) & M64)


def bits_to_double(u):
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def double_to_bits(d):
    return struct.unpack("<Q", struct.pack("<d", d))[0]


def horner(x, coefficients):  # highest power first, each step rounded: c + x * p
    p = coefficients[0]
    for c in coefficients[1:]:
        p = c + x * p
    return p


LOG_SERIES = [2.0 / (2 * k + 1) for k in range(11, -1, -1)]  # 2/23 ... 2/3, 2
SIN_SERIES = [float.fromhex(h) for h in (
    "0x1.aaec32af93359p-38", "-0x1.6fadb9f155744p-31", "0x1.e8f434d018d63p-25", "-0x1.e3074fde8871fp-19",
    "0x1.50783487ee782p-13", "-0x1.32d2cce62bd86p-8", "0x1.466bc6775aae2p-4", "-0x1.4abbce625be53p-1",
    "0x1.921fb54442d18p+0")]
COS_SERIES = [float.fromhex(h) for h in (
    "-0x1.2a0c591af8314p-41", "0x1.20c62c2f2d7f5p-34", "-0x1.b6e24f44b128fp-28", "0x1.f9d38a3763cc3p-22",
    "-0x1.a6d1f2a204a8cp-16", "0x1.e1f506891babbp-11", "-0x1.55d3c7e3cbffap-6", "0x1.03c1f081b5ac4p-2",
    "-0x1.3bd3cc9be45dep+0", "0x1.0p+0")]
LN2_HI, LN2_LO = float.fromhex("0x1.62e42p-1"), float.fromhex("0x1.fdf473de6af28p-22")


def ln_unit(u):
    """ln u, u in (0, 1]: u = 2^e m, m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m - 1) / (m + 1))."""
    m, e = math.frexp(u)  # m in [1/2, 1)
    if m < math.sqrt(0.5):  # the double nearest sqrt(1/2), the engine's threshold too
        m, e = 2 * m, e - 1
    f = m - 1.0
    s = f / (2.0 + f)
    p = horner(s * s, LOG_SERIES)
    return e * LN2_HI + (s * p + e * LN2_LO)


def normal_pair(r1, r2):
    u = 2.0 - (1.0 + (r1 >> 12) * 2.0 ** -52)
    radius = math.sqrt(-2.0 * ln_unit(u))
    k = r2 >> 12  # angle 2 pi k 2^-52
    q = (k + (1 << 49)) >> 50  # nearest quarter turn
    f = (k - (q << 50)) * 2.0 ** -50  # exact: |k - q 2^50| <= 2^49
    w = f * f
    s = f * horner(w, SIN_SERIES)
    c = horner(w, COS_SERIES)
    cq, sq = (s, c) if q & 1 else (c, s)
    cos_t = -cq if (q + 1) & 2 else cq
    sin_t = -sq if q & 2 else sq
    return radius * cos_t, radius * sin_t, (u, k)


def normals(key, n, sd):
    """float32(sd * z_i), i < n, with z_2j, z_2j+1 from draws 2j, 2j + 1; also the largest departure from
    libm's Box-Muller relative to the radius."""
    out = np.empty(n, dtype=np.float32)
    worst = 0.0
    for j in range((n + 1) // 2):
        z0, z1, (u, k) = normal_pair(draw(key, 2 * j), draw(key, 2 * j + 1))
        radius = math.sqrt(-2.0 * math.log(u))
        t = 2.0 * math.pi * k * 2.0 ** -52
        if radius > 0:
            worst = max(worst, abs(z0 - radius * math.cos(t)) / radius, abs(z1 - radius * math.sin(t)) / radius)
        out[2 * j] = sd * z0
        if 2 * j + 1 < n:
            out[2 * j + 1] = sd * z1
    return out, worst


def read_export(path):
    meta = {}
    params = []
    with open(os.path.join(path, "meta.txt")) as f:
        for line in f:
            key, _, rest = line.rstrip("\n").partition(" ")
            if key == "param":
                name, offset, shape = rest.split(" ")
                params.append((name, int(offset), [int(d) for d in shape.split("x")]))
            else:
                meta[key] = rest
    return meta, params, np.fromfile(os.path.join(path, "params.f32"), dtype=np.float32)


def export(naswot, data, work, args):
    out = os.path.join(work, str(len(os.listdir(work))))
    subprocess.run([naswot, "score", "--data", data, "--export", out] + args, check=True, stdout=subprocess.DEVNULL)
    (sub,) = os.listdir(out)
    return os.path.join(out, sub)


failures = []


def same_bits(what, got, expect):
    if got.shape != expect.shape or not np.array_equal(got.view(np.uint32), expect.view(np.uint32)):
        bad = int(np.argmax(got.view(np.uint32) != expect.view(np.uint32))) if got.shape == expect.shape else -1
        failures.append(f"{what}: first difference at {bad}: {got[bad] if bad >= 0 else got.shape} "
                        f"vs {expect[bad] if bad >= 0 else expect.shape}")
        return False
    return True


def check_weights(path, arch_key, conv_sd, linear_sd):
    """Every parameter of an export against the documented draws: convolution weights N(0, conv_sd(shape)),
    the classifier's weight N(0, linear_sd), biases 0, batch-norm gamma 1 and beta 0."""
    meta, params, w = read_export(path)
    seed = int(meta["seed"])
    worst, counted = 0.0, 0
    for p, (name, offset, shape) in enumerate(params):
        n = int(np.prod(shape))
        got = w[offset:offset + n]
        if name.endswith("conv.weight") or name == "classifier.weight":
            sd = conv_sd(shape) if name.endswith("conv.weight") else linear_sd
            expect, dev = normals(stream_key(seed, arch_key, p), n, sd)
            worst = max(worst, dev)
            counted += n
        else:
            expect = np.full(n, 1.0 if name.endswith("bn.weight") else 0.0, dtype=np.float32)
        same_bits(f"{path} {name}", got, expect)
    return worst, counted


def main():
    naswot, data = sys.argv[1], sys.argv[2]
    worst_all = 0.0
    with tempfile.TemporaryDirectory() as work:
        he_normal = lambda shape: math.sqrt(2.0 / (shape[0] * shape[2] * shape[3]))  # noqa: E731
        # NB101: He-normal (fan-out) convolutions, N(0, 0.01) classifier; the key is the cell hash's first
        # 16 hex digits. Two cells, two seeds; cell 2's parameter tensors include odd sizes.
        for index, seed in (("2", "0"), ("100000", "5")):
            path = export(naswot, data, work, ["--space", "nb101", "--arch", index, "--batch", "2", "--seed", seed])
            arch_key = int(os.path.basename(path)[:16], 16)
            worst, n = check_weights(path, arch_key, he_normal, 0.01)
            worst_all = max(worst_all, worst)
            print(f"nb101 cell {index} seed {seed}: {n} normal weights checked")
        # zen: N(0, 1) convolution and linear weights under zen's key of (seed, architecture), inputs from
        # the seed alone: x = N(0, 1), x + float32(0.01 z).
        arch = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"  # index 1651, small
        path = export(naswot, data, work, ["--space", "nb201", "--arch", arch, "--score", "zen", "--batch", "2",
                                           "--seed", "3"])
        meta, _, _ = read_export(path)
        worst, n = check_weights(path, stream_key(int(meta["index"]), 0x2E4E5A), lambda shape: 1.0, 1.0)
        worst_all = max(worst_all, worst)
        count = 2 * 3 * 32 * 32
        x, dev_x = normals(stream_key(3, 0x2E4E5A, 1), count, 1.0)
        e, dev_e = normals(stream_key(3, 0x2E4E5A, 2), count, 0.01)
        worst_all = max(worst_all, dev_x, dev_e)
        same_bits("zen x", np.fromfile(os.path.join(path, "batch.f32"), dtype=np.float32), x)
        same_bits("zen x + 0.01 e", np.fromfile(os.path.join(path, "zen_mixed.f32"), dtype=np.float32), x + e)
        print(f"zen: {n} weights and 2 x {count} inputs checked")
    print(f"largest departure from libm's Box-Muller: {worst_all:.3g} of the radius")
    if worst_all > 1e-13:
        failures.append(f"the draws depart from libm's Box-Muller by {worst_all:.3g} of the radius (bound 1e-13)")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
