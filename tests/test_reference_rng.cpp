// Replays of the reference's generators: MT19937 against the C++ standard's, the CIFAR-10 split against
// the data folder's JSON, the v2.0 batch against the published vector, torch init order and errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "engine/init.h"
#include "engine/io/images.h"
#include "engine/reference_rng.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::error_of;

TEST_CASE("TorchGenerator draws what std::mt19937 draws for the same 32-bit seed") {
  for (uint32_t seed : {0u, 1u, 5489u, 4294967295u}) {
    std::mt19937 ref(seed);
    TorchGenerator g(seed);
    for (int i = 0; i < 2000; ++i) REQUIRE(g.random() == ref());
  }
  // manual_seed keeps the low 32 bits.
  TorchGenerator hi((uint64_t(7) << 32) | 3u), lo(3);
  CHECK(hi.random() == lo.random());
}

TEST_CASE("randperm_prefix: a permutation prefix that consumes n - 1 draws") {
  TorchGenerator a(9), b(9);
  const std::vector<int> p = a.randperm_prefix(1000, 1000);
  std::vector<int> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) REQUIRE(sorted[size_t(i)] == i);
  CHECK(b.randperm_prefix(1000, 10) == std::vector<int>(p.begin(), p.begin() + 10));
  CHECK(a.random() == b.random());  // both advanced by 999 draws
  CHECK(error_of([&] { a.randperm_prefix(5, 6); }).find("[0, n]") != std::string::npos);
}

TEST_CASE("kaiming bound: Python's double arithmetic, within two ulps of 1/sqrt(fan_in)") {
  int differ = 0;
  for (int fan : {3, 27, 16, 144, 288, 576, 64}) {
    const double b = kaiming_uniform_a5_bound(fan), r = 1.0 / std::sqrt(double(fan));
    CHECK(std::abs(b - r) <= 2 * std::nextafter(r, 1.0) - 2 * r);
    differ += b != r;
  }
  CHECK(differ > 0);  // the reason the bound is not written as 1/sqrt(fan_in)
}

TEST_CASE("NB201 CIFAR-10 split: the data folder's nb201-cifar-split.json, published vector 0, 5, 7, 11, 13, 15") {
  const std::vector<int>& split = nb201_cifar10_train_split();
  REQUIRE(split.size() == 25000);
  CHECK(std::vector<int>(split.begin(), split.begin() + 6) == std::vector<int>{0, 5, 7, 11, 13, 15});
  CHECK(std::is_sorted(split.begin(), split.end()));
  const std::string dir = test::data_dir();
  if (dir.empty()) return;
  std::ifstream f(dir + "/cifar10/nb201-cifar-split.json");
  REQUIRE(f);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string js = ss.str();
  // {"train": ["int", ["0", "5", ...]], "valid": [...]}: the quoted numbers after "train" up to "]]".
  const size_t start = js.find("\"train\""), stop = js.find("]]", start);
  REQUIRE(start != std::string::npos);
  std::vector<int> train;
  for (size_t p = js.find('"', js.find('[', js.find('[', start) + 1)); p < stop; p = js.find('"', p + 1)) {
    const size_t q = js.find('"', p + 1);
    train.push_back(std::stoi(js.substr(p + 1, q - p - 1)));
    p = q;
  }
  CHECK(train == split);
}

TEST_CASE("v2.0 reference batch: the published first indices for seed 1 (docs/nb201.md)") {
  const std::vector<int> b = reference_v2_batch_images(1, 128);
  REQUIRE(b.size() == 128);
  CHECK(std::vector<int>(b.begin(), b.begin() + 8) ==
        std::vector<int>{40134, 27076, 32545, 12770, 32511, 9400, 26010, 6846});
  CHECK(reference_v2_batch_images(1, 8) == std::vector<int>(b.begin(), b.begin() + 8));
  CHECK(reference_v2_batch_images(2, 8) != std::vector<int>(b.begin(), b.begin() + 8));
  CHECK(error_of([] { reference_v2_batch_images(1, 25001); }).find("train split") != std::string::npos);
}

TEST_CASE("v2.0 reference batch of CIFAR-100 and ImageNet16-120 (nb201.md 5.3)") {
  // CIFAR-100 goes through the CIFAR-10 split (the harness's substring test): the same indices.
  CHECK(reference_v2_batch_images(1, 16, Dataset::Cifar100) == reference_v2_batch_images(1, 16));
  // ImageNet16-120: a randperm of all 151,700 training images, after the 2 base-seed draws.
  const std::vector<int> im = reference_v2_batch_images(1, 64, Dataset::ImageNet16);
  TorchGenerator g(1);
  g.discard(2);
  CHECK(im == g.randperm_prefix(151700, 64));
  CHECK(*std::max_element(im.begin(), im.end()) >= 50000);  // not confined to CIFAR's range
  CHECK(error_of([] { reference_v2_batch_images(1, 151701, Dataset::ImageNet16); }).find("training set") !=
        std::string::npos);
  // Later networks are built after 2 + (n - 1) draws: n = 151,700 here, 25,000 for the CIFAR split.
  TorchGenerator later = reference_v2_weight_generator(1, false, Dataset::ImageNet16), want(1);
  want.discard(2 + 151699);
  CHECK(later.random() == want.random());
  TorchGenerator c100 = reference_v2_weight_generator(1, false, Dataset::Cifar100),
                 c10 = reference_v2_weight_generator(1, false);
  CHECK(c100.random() == c10.random());
}

TEST_CASE("torch init: construction order, U(+-bound) per tensor, BN untouched, NB101 refused") {
  const Graph g = nb201::build(nb201::from_index(1));
  const std::vector<float> w = init_params_torch(g, reference_v2_weight_generator(1, true));
  // The stem conv is drawn first: element i is the i-th uniform_ of the fresh generator.
  TorchGenerator t(1);
  const Param& stem = g.params[0];
  REQUIRE(stem.name == "stem.conv.weight");
  const double b = kaiming_uniform_a5_bound(27);
  size_t same = 0;
  for (size_t i = 0; i < stem.size; ++i) same += w[stem.offset + i] == t.uniform(-b, b);
  CHECK(same == stem.size);
  size_t wrong = 0;
  for (const Param& p : g.params) {
    const bool bn = p.init == InitKind::Ones || p.init == InitKind::Zeros;
    const double bound =
        p.init == InitKind::LinearBias ? 1.0 / std::sqrt(double(p.fan_in)) : kaiming_uniform_a5_bound(p.fan_in);
    for (size_t i = 0; i < p.size; ++i)
      wrong +=
          bn ? w[p.offset + i] != (p.init == InitKind::Ones ? 1.f : 0.f) : std::abs(w[p.offset + i]) > float(bound);
  }
  CHECK(wrong == 0);
  // The later networks' state: after 2 + 24,999 draws, so other weights.
  CHECK(init_params_torch(g, reference_v2_weight_generator(1, false)) != w);
  CHECK(error_of([] {
          init_params_torch(nb101::build(nb101::parse_cell("0111010/0000001/0000001/0000001/0000001/0000001/0000000",
                                                           "conv3x3,conv3x3,conv1x1,maxpool3x3,conv3x3"),
                                         nb101::NetConfig{}),
                            TorchGenerator(1));
        }).find("normal_") != std::string::npos);
}

TEST_CASE("batch_of_images needs all five training batches and says so") {
  const std::string dir = test::data_dir();
  if (dir.empty()) return;
  const ImageSet set = load_cifar10_train(dir);
  if (set.n == 50000) return;  // a full copy: nothing to refuse
  const std::string e = error_of([&] { batch_of_images(set, {40134}); });
  CHECK(e.find("all five official batches") != std::string::npos);
  CHECK(e.find("data_batch_1.bin") != std::string::npos);
}
