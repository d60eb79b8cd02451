// The random generators of the reference code, replayed exactly: CPython's `random` (NB201's index
// shuffle and CIFAR-10 split) and PyTorch's CPU generator (the v2.0 harness's batch and weights).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/io/images.h"

namespace naswot {

// MT19937 (Matsumoto & Nishimura), the core of both generators.
class Mt19937 {
 public:
  void init_genrand(uint32_t s);
  void init_by_array(const uint32_t* key, int n);
  uint32_t next();
  void discard(uint64_t n) {
    while (n--) next();
  }

 private:
  static constexpr int kN = 624, kM = 397;
  uint32_t mt_[kN] = {};
  int mti_ = kN;
  void twist();
};

// CPython's random.Random seeded with a non-negative integer below 2^32 (init_by_array of one word).
class PyRandom {
 public:
  explicit PyRandom(uint32_t seed);
  uint32_t randbelow(uint32_t n);  // _randbelow_with_getrandbits: rejection on bit_length(n) bits
  template <class T>
  void shuffle(std::vector<T>& x) {  // random.shuffle: i from the end, j = randbelow(i + 1)
    for (std::size_t i = x.size() - 1; i >= 1; --i) std::swap(x[i], x[randbelow(uint32_t(i + 1))]);
  }

 private:
  Mt19937 mt_;
};

// PyTorch's CPU generator (torch.manual_seed(s): MT19937 init_genrand of the low 32 bits) and the
// CPU kernels that draw from it, as ATen 1.13 computes them (nb201.md 3.3, 5.4; checked against
// PyTorch by tests/oracle/check_reference_replay.py).
class TorchGenerator {
 public:
  explicit TorchGenerator(uint64_t seed) { mt_.init_genrand(uint32_t(seed)); }
  uint32_t random() { return mt_.next(); }
  void discard(uint64_t n) { mt_.discard(n); }
  // One element of tensor.uniform_(from, to) on a float32 tensor (bounds rounded to float32 first).
  float uniform(double from, double to);
  // The first k entries of torch.randperm(n) (forward Fisher-Yates, z = random() mod (n - i)); the
  // generator advances by all n - 1 draws, as the full permutation does.
  std::vector<int> randperm_prefix(int n, int k);

 private:
  Mt19937 mt_;
};

// kaiming_uniform_(a = sqrt(5)) bound for fan_in, evaluated as torch.nn.init does in Python doubles
// (sqrt(3) * sqrt(2 / (1 + a^2)) / sqrt(fan_in): one ulp away from 1 / sqrt(fan_in) for some fans).
double kaiming_uniform_a5_bound(int fan_in);

// NAS-Bench-201's CIFAR-10 "train" split (the reference's config_utils/cifar-split.txt): AutoDL's
// random.seed(1021) shuffle of range(50000), first 25,000 sorted ascending.
const std::vector<int>& nb201_cifar10_train_split();

// The training-image indices the v2.0 harness's SubsetRandomSampler permutes (nb201.md 5.3): NB201's
// CIFAR-10 train split for CIFAR-10 and, through the harness's substring test ('cifar10' in 'cifar100'),
// for CIFAR-100 as well; every training image (0 .. 151,699) for ImageNet16-120.
std::vector<int> reference_v2_pool(Dataset d);

// The v2.0 harness (score_networks.py --trainval, nb201.md 5.3-5.4): after torch.manual_seed(seed),
// iter(DataLoader) draws a 64-bit base seed (2 draws), then SubsetRandomSampler's randperm over the
// pool; the batch is the first B images of that order (training-set indices, batch order).
std::vector<int> reference_v2_batch_images(uint64_t seed, int batch, Dataset d = Dataset::Cifar10);
// The generator state the harness builds a network from: the first of its loop (first = true) from
// the fresh manual_seed(seed), every later one right after the previous one's reseed and batch draw.
TorchGenerator reference_v2_weight_generator(uint64_t seed, bool first, Dataset d = Dataset::Cifar10);

}  // namespace naswot
