// CIFAR-10 reader, normalisation, sampling determinism, augmentation modes and corrupt-file errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>

#include "engine/cifar.h"
#include "engine/error.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::error_of;
namespace fs = std::filesystem;

namespace {

// A CIFAR-10 file of n records with label l and pixel value (i + c*3 + y*7 + x*11) % 256.
fs::path write_fixture(const std::string& name, int n, int label = 3) {
  const fs::path p = fs::temp_directory_path() / ("naswot_test_" + name);
  std::ofstream f(p, std::ios::binary);
  for (int i = 0; i < n; ++i) {
    f.put(char(label));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) f.put(char((i + c * 3 + y * 7 + x * 11) % 256));
  }
  return p;
}

}  // namespace

TEST_CASE("normalisation follows ToTensor + Normalize with NB201's CIFAR-10 constants") {
  ImageSet set;
  read_cifar10_file(write_fixture("norm.bin", 4).string(), set);
  REQUIRE(set.n == 4);
  std::vector<int> idx;
  const auto x = make_batch(set, 4, 1, Augment::None, &idx);
  for (int b = 0; b < 4; ++b)
    for (int c = 0; c < 3; ++c) {
      const int y = 5, xx = 9, v = (idx[b] + c * 3 + y * 7 + xx * 11) % 256;
      const double mean[] = {125.3, 123.0, 113.9}, sd[] = {63.0, 62.1, 66.7};
      CHECK(x[((b * 3 + c) * 32 + y) * 32 + xx] == doctest::Approx((v / 255.0 - mean[c] / 255) / (sd[c] / 255)).epsilon(1e-5));
    }
}

TEST_CASE("sampling: deterministic per seed, distinct images, seed-dependent") {
  ImageSet set;
  read_cifar10_file(write_fixture("samp.bin", 50).string(), set);
  std::vector<int> a, b, c;
  CHECK(make_batch(set, 20, 7, Augment::FlipCrop, &a) == make_batch(set, 20, 7, Augment::FlipCrop, &b));
  CHECK(a == b);
  make_batch(set, 20, 8, Augment::FlipCrop, &c);
  CHECK(a != c);
  std::sort(a.begin(), a.end());
  CHECK(std::adjacent_find(a.begin(), a.end()) == a.end());
}

TEST_CASE("augment-one: every sample is a flip/crop of the same image") {
  ImageSet set;
  read_cifar10_file(write_fixture("aug1.bin", 10).string(), set);
  std::vector<int> idx;
  const auto x = make_batch(set, 16, 3, Augment::AugmentOne, &idx);
  CHECK(std::all_of(idx.begin(), idx.end(), [&](int i) { return i == idx[0]; }));
  ImageSet one;
  one.n = 1;
  one.pixels.assign(set.pixels.begin() + size_t(idx[0]) * 3072, set.pixels.begin() + size_t(idx[0] + 1) * 3072);
  const auto plain = make_batch(one, 1, 0, Augment::None);
  int distinct = 0;
  for (int b = 0; b < 16; ++b) {
    const float* s = x.data() + size_t(b) * 3072;
    if (!std::equal(s, s + 3072, plain.data())) ++distinct;
    // The central pixel of a crop offset by (dy, dx) in [-4, 4] must appear in the original image.
    bool found = false;
    for (int dy = -4; dy <= 4 && !found; ++dy)
      for (int dx = -4; dx <= 4 && !found; ++dx)
        for (int flip = 0; flip < 2 && !found; ++flip) {
          bool all = true;
          for (int c = 0; c < 3 && all; ++c)
            for (int y = 8; y < 24 && all; ++y)
              for (int xx = 8; xx < 24 && all; ++xx) {
                const int sx0 = xx + dx, sx = flip ? 31 - sx0 : sx0;
                all = s[(c * 32 + y) * 32 + xx] == plain[(c * 32 + y + dy) * 32 + sx];
              }
          found = all;
        }
    CHECK(found);
  }
  CHECK(distinct > 8);  // most copies are actually augmented
}

TEST_CASE("bad data files get clear errors") {
  ImageSet set;
  const fs::path empty = fs::temp_directory_path() / "naswot_test_empty.bin";
  std::ofstream(empty).close();
  CHECK(error_of([&] { read_cifar10_file(empty.string(), set); }).find("empty") != std::string::npos);
  const fs::path shortf = fs::temp_directory_path() / "naswot_test_short.bin";
  {
    std::ofstream f(shortf, std::ios::binary);
    f << std::string(3000, 'x');
  }
  CHECK(error_of([&] { read_cifar10_file(shortf.string(), set); }).find("truncated") != std::string::npos);
  const fs::path bad = write_fixture("badlabel.bin", 2, 200);
  CHECK(error_of([&] { read_cifar10_file(bad.string(), set); }).find("label 200") != std::string::npos);
  CHECK(error_of([&] { read_cifar10_file("/nonexistent/x.bin", set); }).find("cannot open") != std::string::npos);
  CHECK(error_of([&] { load_cifar10_train("/nonexistent-dir"); }).find("does not exist") != std::string::npos);
  ImageSet small;
  read_cifar10_file(write_fixture("small.bin", 5).string(), small);
  CHECK(error_of([&] { make_batch(small, 6, 0, Augment::None); }).find("larger than") != std::string::npos);
}

TEST_CASE("the shared CIFAR-10 training batch loads") {
  const std::string dir = test::data_dir();
  if (dir.empty()) return;
  const ImageSet set = load_cifar10_train(dir);
  CHECK(set.n % 10000 == 0);
  CHECK(set.n >= 10000);
  CHECK(*std::max_element(set.labels.begin(), set.labels.end()) == 9);
}
