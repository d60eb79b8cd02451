// CIFAR-10 reader, normalisation, sampling determinism, augmentation modes and corrupt-file errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "engine/error.h"
#include "engine/io/images.h"
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
      CHECK(x[((b * 3 + c) * 32 + y) * 32 + xx] ==
            doctest::Approx((v / 255.0 - mean[c] / 255) / (sd[c] / 255)).epsilon(1e-5));
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

namespace {

// A file of n records of `labels` label bytes (each `label`) and side x side images, pixel value
// (i + c*3 + y*7 + x*11) % 256.
fs::path write_records(const std::string& name, int n, int side, std::vector<int> labels) {
  const fs::path p = fs::temp_directory_path() / ("naswot_test_" + name);
  std::ofstream f(p, std::ios::binary);
  for (int i = 0; i < n; ++i) {
    for (int l : labels) f.put(char(l));
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) f.put(char((i + c * 3 + y * 7 + x * 11) % 256));
  }
  return p;
}

}  // namespace

TEST_CASE("CIFAR-100 and ImageNet16-120: record layouts, label checks, constants, 16x16 crops") {
  CHECK(parse_dataset("cifar100") == Dataset::Cifar100);
  CHECK(std::string(dataset_name(parse_dataset("imagenet16"))) == "imagenet16");
  CHECK(error_of([] { parse_dataset("imagenet"); }).find("cifar10, cifar100 or imagenet16") != std::string::npos);

  ImageSet c100;
  c100.dataset = Dataset::Cifar100;
  read_image_file(write_records("c100.bin", 6, 32, {19, 99}).string(), c100);
  REQUIRE(c100.n == 6);
  CHECK(c100.labels[0] == 99);  // the fine label
  ImageSet bad100;
  bad100.dataset = Dataset::Cifar100;
  CHECK(error_of([&] {
          read_image_file(write_records("c100c.bin", 2, 32, {20, 5}).string(), bad100);
        }).find("label 20 (expected 0..19)") != std::string::npos);
  CHECK(error_of([&] {
          read_image_file(write_records("c100f.bin", 2, 32, {3, 100}).string(), bad100);
        }).find("label 100 (expected 0..99)") != std::string::npos);
  // A CIFAR-10 file read as CIFAR-100 is one byte per record short.
  CHECK(error_of([&] {
          read_image_file(write_fixture("c10as100.bin", 3).string(), bad100);
        }).find("3074-byte record") != std::string::npos);
  std::vector<int> idx;
  const auto x100 = make_batch(c100, 3, 1, Augment::None, &idx);
  const double mean100[] = {129.3, 124.1, 112.4}, sd100[] = {68.2, 65.4, 70.4};
  for (int c = 0; c < 3; ++c) {
    const int v = (idx[1] + c * 3 + 5 * 7 + 9 * 11) % 256;
    CHECK(x100[((1 * 3 + c) * 32 + 5) * 32 + 9] ==
          doctest::Approx((v / 255.0 - mean100[c] / 255) / (sd100[c] / 255)).epsilon(1e-5));
  }

  ImageSet im;
  im.dataset = Dataset::ImageNet16;
  read_image_file(write_records("im16.bin", 10, 16, {119}).string(), im);
  REQUIRE(im.n == 10);
  CHECK(im.side == 16);
  CHECK(im.image_bytes() == 768);
  ImageSet bad16;
  bad16.dataset = Dataset::ImageNet16;
  CHECK(error_of([&] {
          read_image_file(write_records("im16b.bin", 2, 16, {120}).string(), bad16);
        }).find("label 120 (expected 0..119)") != std::string::npos);
  const auto plain = make_batch(im, 10, 2, Augment::None, &idx);
  REQUIRE(plain.size() == 10u * 768);
  const double mean16[] = {122.68, 116.66, 104.01}, sd16[] = {63.22, 61.26, 65.09};
  for (int c = 0; c < 3; ++c) {
    const int v = (idx[3] + c * 3 + 4 * 7 + 6 * 11) % 256;
    CHECK(plain[((3 * 3 + c) * 16 + 4) * 16 + 6] ==
          doctest::Approx((v / 255.0 - mean16[c] / 255) / (sd16[c] / 255)).epsilon(1e-5));
  }
  // Flip-crop at 16x16 pads by 2: a crop's border rows or columns are padding (the normalised 0) only
  // within 2 pixels of the edge, and some crops are shifted.
  const auto aug = make_batch(im, 10, 2, Augment::FlipCrop);
  const float zero0 = float((0.0 - mean16[0] / 255) / (sd16[0] / 255));
  int shifted = 0;
  for (int b = 0; b < 10; ++b) {
    const float* s = aug.data() + size_t(b) * 768;
    int pad_rows = 0;
    for (int y = 0; y < 16; ++y)
      pad_rows += std::all_of(s + y * 16, s + y * 16 + 16, [&](float v) { return std::abs(v - zero0) < 1e-6f; });
    CHECK(pad_rows <= 2);
    shifted += !std::equal(s, s + 768, plain.data() + size_t(b) * 768);
  }
  CHECK(shifted > 3);
}

TEST_CASE("missing CIFAR-100 / ImageNet16-120 files say where to get them") {
  const fs::path dir = fs::temp_directory_path() / "naswot_test_nodata";
  fs::create_directories(dir);
  const std::string e100 = error_of([&] { load_train_images(dir.string(), Dataset::Cifar100); });
  CHECK(e100.find("train.bin") != std::string::npos);
  CHECK(e100.find("cifar-100-binary.tar.gz") != std::string::npos);
  CHECK(e100.find(dir.string() + "/cifar100/") != std::string::npos);
  const std::string e16 = error_of([&] { load_train_images(dir.string(), Dataset::ImageNet16); });
  CHECK(e16.find("train_120.bin") != std::string::npos);
  CHECK(e16.find("convert_imagenet16.py") != std::string::npos);
}
