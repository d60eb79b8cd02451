// Exact replays of CPython's random and PyTorch's CPU generator (engine/reference_rng.h).
#include "engine/reference_rng.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/error.h"

namespace naswot {

void Mt19937::init_genrand(uint32_t s) {
  mt_[0] = s;
  for (int i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + uint32_t(i);
  mti_ = kN;
}

void Mt19937::init_by_array(const uint32_t* key, int n) {
  init_genrand(19650218u);
  int i = 1, j = 0;
  for (int k = std::max(kN, n); k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + uint32_t(j);
    if (++i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (++j >= n) j = 0;
  }
  for (int k = kN - 1; k; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - uint32_t(i);
    if (++i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
  mti_ = kN;
}

void Mt19937::twist() {
  for (int i = 0; i < kN; ++i) {
    const uint32_t y = (mt_[i] & 0x80000000u) | (mt_[(i + 1) % kN] & 0x7fffffffu);
    mt_[i] = mt_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
  }
  mti_ = 0;
}

uint32_t Mt19937::next() {
  if (mti_ >= kN) twist();
  uint32_t y = mt_[mti_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  return y ^ (y >> 18);
}

PyRandom::PyRandom(uint32_t seed) { mt_.init_by_array(&seed, 1); }

uint32_t PyRandom::randbelow(uint32_t n) {
  int k = 0;
  while ((n >> k) != 0) ++k;  // bit_length
  uint32_t r;
  do r = mt_.next() >> (32 - k);
  while (r >= n);
  return r;
}

float TorchGenerator::uniform(double from, double to) {
  // ATen: bounds cast to float; x = (r & (2^24 - 1)) * 2^-24; x * (to - from) + from, which rounds to
  // float once, as this double expression does (the product of two 24-bit significands is exact).
  const float lo = float(from), hi = float(to);
  const double x = double(random() & 0xFFFFFFu) * 0x1.0p-24;
  return float(x * double(hi - lo) + double(lo));
}

std::vector<int> TorchGenerator::randperm_prefix(int n, int k) {
  if (n < 1 || k < 0 || k > n) fail("randperm_prefix: k must lie in [0, n]");
  std::vector<int> r(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) r[size_t(i)] = i;
  for (int i = 0; i < n - 1; ++i) std::swap(r[size_t(i)], r[size_t(i) + random() % uint32_t(n - i)]);
  r.resize(size_t(k));
  return r;
}

double kaiming_uniform_a5_bound(int fan_in) {
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));  // calculate_gain('leaky_relu', a); a ** 2 == a * a
  const double std_dev = gain / std::sqrt(double(fan_in));
  return std::sqrt(3.0) * std_dev;
}

const std::vector<int>& nb201_cifar10_train_split() {
  static const std::vector<int> split = [] {
    std::vector<int> all(50000);
    for (int i = 0; i < 50000; ++i) all[size_t(i)] = i;
    PyRandom(1021).shuffle(all);
    std::vector<int> train(all.begin(), all.begin() + 25000);
    std::sort(train.begin(), train.end());
    return train;
  }();
  return split;
}

namespace {
constexpr int kBaseSeedDraws = 2;  // iter(DataLoader): torch.empty((), dtype=int64).random_() = one random64()
}

std::vector<int> reference_v2_pool(Dataset d) {
  if (d != Dataset::ImageNet16) return nb201_cifar10_train_split();
  std::vector<int> all(size_t(full_train_size(d)));
  std::iota(all.begin(), all.end(), 0);
  return all;
}

std::vector<int> reference_v2_batch_images(uint64_t seed, int batch, Dataset d) {
  const std::vector<int> pool = reference_v2_pool(d);
  if (batch < 1 || batch > int(pool.size()))
    fail("the reference batch takes 1 to " + std::to_string(pool.size()) + " images of the " +
         (d == Dataset::ImageNet16 ? "training set" : "train split"));
  TorchGenerator g(seed);
  g.discard(kBaseSeedDraws);
  std::vector<int> images = g.randperm_prefix(int(pool.size()), batch);
  for (int& i : images) i = pool[size_t(i)];
  return images;
}

TorchGenerator reference_v2_weight_generator(uint64_t seed, bool first, Dataset d) {
  TorchGenerator g(seed);
  if (!first) g.discard(kBaseSeedDraws + reference_v2_pool(d).size() - 1);  // the batch draw's randperm
  return g;
}

}  // namespace naswot
