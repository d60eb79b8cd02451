// CIFAR-10 binary files -> normalised float batches; all randomness from counter-based streams.
#include "engine/cifar.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "engine/rng.h"

namespace naswot {
namespace {

constexpr int kSide = 32, kPlane = kSide * kSide, kImage = 3 * kPlane, kRecord = kImage + 1, kPad = 4;
// ToTensor + Normalize constants of NAS-Bench-201's CIFAR-10 pipeline (spec 5.1).
constexpr float kMean[3] = {float(125.3 / 255), float(123.0 / 255), float(113.9 / 255)};
constexpr float kStd[3] = {float(63.0 / 255), float(62.1 / 255), float(66.7 / 255)};

// Writes one image, optionally flipped and cropped from the zero-padded original, normalised.
void emit(const uint8_t* img, bool flip, int oy, int ox, float* out) {
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < kSide; ++y)
      for (int x = 0; x < kSide; ++x) {
        const int sy = y + oy - kPad, sx0 = x + ox - kPad;
        uint8_t v = 0;
        if (sy >= 0 && sy < kSide && sx0 >= 0 && sx0 < kSide) {
          const int sx = flip ? kSide - 1 - sx0 : sx0;
          v = img[c * kPlane + sy * kSide + sx];
        }
        out[c * kPlane + y * kSide + x] = (float(v) / 255.f - kMean[c]) / kStd[c];
      }
}

}  // namespace

std::string resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("NASWOT_DATA"); env && *env) return env;
  fail("no data directory: pass --data DIR or set NASWOT_DATA (DIR holds cifar10/data_batch_*.bin; see README)");
}

void read_cifar10_file(const std::string& path, ImageSet& into) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail("cannot open CIFAR-10 file " + path);
  const std::streamoff size = f.tellg();
  if (size <= 0) fail("CIFAR-10 file " + path + " is empty");
  if (size % kRecord != 0)
    fail("CIFAR-10 file " + path + " is truncated or not in the binary format: " + std::to_string(size) +
         " bytes is not a multiple of the 3073-byte record");
  const size_t n = size_t(size / kRecord);
  std::vector<uint8_t> raw(static_cast<size_t>(size));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(raw.data()), size)) fail("cannot read CIFAR-10 file " + path);
  const size_t base = into.pixels.size();
  into.pixels.resize(base + n * kImage);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t label = raw[i * kRecord];
    if (label > 9)
      fail("CIFAR-10 file " + path + " is corrupt: record " + std::to_string(i) + " has label " +
           std::to_string(label) + " (expected 0..9)");
    into.labels.push_back(label);
    std::copy_n(raw.data() + i * kRecord + 1, kImage, into.pixels.data() + base + i * kImage);
  }
  into.n += int(n);
  into.files.push_back(path);
}

ImageSet load_cifar10_train(const std::string& dir) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(dir) / "cifar10";
  if (!fs::is_directory(root)) root = dir;
  if (!fs::is_directory(root)) fail("data directory " + dir + " does not exist");
  ImageSet set;
  for (int k = 1; k <= 5; ++k) {
    const fs::path p = root / ("data_batch_" + std::to_string(k) + ".bin");
    if (fs::exists(p)) read_cifar10_file(p.string(), set);
  }
  if (set.n == 0)
    fail("no CIFAR-10 training batches (data_batch_1.bin .. data_batch_5.bin) in " + root.string() +
         "; download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html");
  return set;
}

Augment parse_augment(const std::string& s) {
  if (s == "none") return Augment::None;
  if (s == "flip-crop") return Augment::FlipCrop;
  if (s == "augment-one") return Augment::AugmentOne;
  fail("unknown --augment '" + s + "' (expected none, flip-crop or augment-one)");
}

const char* augment_name(Augment a) {
  switch (a) {
    case Augment::None: return "none";
    case Augment::FlipCrop: return "flip-crop";
    case Augment::AugmentOne: return "augment-one";
  }
  return "?";
}

std::vector<float> make_batch(const ImageSet& data, int batch, uint64_t seed, Augment mode, std::vector<int>* chosen) {
  if (batch < 1) fail("batch size must be positive");
  if (mode != Augment::AugmentOne && batch > data.n)
    fail("batch size " + std::to_string(batch) + " is larger than the " + std::to_string(data.n) +
         " training images available");
  const uint64_t pick_key = stream_key(seed, 0xDA7A), aug_key = stream_key(seed, 0xA06);
  std::vector<int> idx;
  if (mode == Augment::AugmentOne) {
    idx.assign(size_t(batch), int(below(pick_key, 0, uint64_t(data.n))));
  } else {
    // Partial Fisher-Yates over [0, n): the first 'batch' entries are distinct uniform picks.
    std::vector<int> perm(size_t(data.n));
    for (int i = 0; i < data.n; ++i) perm[i] = i;
    for (int i = 0; i < batch; ++i) std::swap(perm[i], perm[i + below(pick_key, i, uint64_t(data.n - i))]);
    idx.assign(perm.begin(), perm.begin() + batch);
  }
  std::vector<float> out(size_t(batch) * kImage);
  for (int b = 0; b < batch; ++b) {
    bool flip = false;
    int oy = kPad, ox = kPad;
    if (mode != Augment::None) {
      flip = draw(aug_key, 3 * uint64_t(b)) & 1;
      oy = int(below(aug_key, 3 * uint64_t(b) + 1, 2 * kPad + 1));
      ox = int(below(aug_key, 3 * uint64_t(b) + 2, 2 * kPad + 1));
    }
    emit(data.pixels.data() + size_t(idx[b]) * kImage, flip, oy, ox, out.data() + size_t(b) * kImage);
  }
  if (chosen) *chosen = idx;
  return out;
}

std::vector<float> batch_of_images(const ImageSet& data, const std::vector<int>& images) {
  if (data.n != 50000 || data.files.size() != 5) {
    std::string present;
    for (const std::string& f : data.files) present += (present.empty() ? "" : ", ") + f;
    fail("this batch names images of the full CIFAR-10 training set, which needs all five official batches "
         "data_batch_1.bin .. data_batch_5.bin (50,000 images); present: " + present + " (" +
         std::to_string(data.n) + " images). Download cifar-10-binary.tar.gz from "
         "https://www.cs.toronto.edu/~kriz/cifar.html");
  }
  std::vector<float> out(images.size() * kImage);
  for (size_t b = 0; b < images.size(); ++b) {
    if (images[b] < 0 || images[b] >= data.n) fail("image index " + std::to_string(images[b]) + " is out of range");
    emit(data.pixels.data() + size_t(images[b]) * kImage, false, kPad, kPad, out.data() + b * kImage);
  }
  return out;
}

}  // namespace naswot
