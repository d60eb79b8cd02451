// CIFAR-10, CIFAR-100 and ImageNet16-120 binary files -> normalised float batches; all randomness from
// counter-based streams.
#include "engine/io/images.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/error.h"
#include "engine/rng.h"

namespace naswot {
namespace {

constexpr int kChannels = 3;

struct DatasetInfo {
  const char* name;
  const char* title;
  int side;
  int label_bytes;        // per record, before the pixels
  int label_max[2];       // largest valid value of each label byte
  float mean[3], std[3];  // ToTensor + Normalize constants (nb201.md 5.1), as float32
  int full_train;         // images in the full official training set
  const char* where;      // how to get the files
};

const DatasetInfo& info(Dataset d) {
  static const DatasetInfo k[3] = {
      {"cifar10",
       "CIFAR-10",
       32,
       1,
       {9, 0},
       {float(125.3 / 255), float(123.0 / 255), float(113.9 / 255)},
       {float(63.0 / 255), float(62.1 / 255), float(66.7 / 255)},
       50000,
       "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack "
       "data_batch_1.bin .. data_batch_5.bin into DIR/cifar10/"},
      {"cifar100",
       "CIFAR-100",
       32,
       2,
       {19, 99},
       {float(129.3 / 255), float(124.1 / 255), float(112.4 / 255)},
       {float(68.2 / 255), float(65.4 / 255), float(70.4 / 255)},
       50000,
       "download cifar-100-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and unpack "
       "train.bin into DIR/cifar100/"},
      {"imagenet16",
       "ImageNet16-120",
       16,
       1,
       {119, 0},
       {float(122.68 / 255), float(116.66 / 255), float(104.01 / 255)},
       {float(63.22 / 255), float(61.26 / 255), float(65.09 / 255)},
       151700,
       "download Imagenet16_train.zip (the 16x16 downsampled ImageNet, https://image-net.org/download-images), "
       "unpack it and run python3 tools/convert_imagenet16.py UNPACKED_DIR DIR/imagenet16"},
  };
  return k[int(d)];
}

// Writes one image, optionally flipped and cropped from the zero-padded original (padding side / 8),
// normalised with the dataset's constants.
void emit(const DatasetInfo& di, const uint8_t* img, bool flip, int oy, int ox, float* out) {
  const int side = di.side, plane = side * side, pad = side / 8;
  for (int c = 0; c < kChannels; ++c)
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) {
        const int sy = y + oy - pad, sx0 = x + ox - pad;
        uint8_t v = 0;
        if (sy >= 0 && sy < side && sx0 >= 0 && sx0 < side) {
          const int sx = flip ? side - 1 - sx0 : sx0;
          v = img[c * plane + sy * side + sx];
        }
        out[c * plane + y * side + x] = (float(v) / 255.f - di.mean[c]) / di.std[c];
      }
}

// How to get the dataset's files into data directory `dir`.
std::string where(const DatasetInfo& di, const std::string& dir) {
  std::string w = di.where;
  for (size_t at = 0; (at = w.find("DIR/", at)) != std::string::npos; at += dir.size()) w.replace(at, 3, dir);
  return w;
}

}  // namespace

Dataset parse_dataset(const std::string& s) {
  for (Dataset d : {Dataset::Cifar10, Dataset::Cifar100, Dataset::ImageNet16})
    if (s == info(d).name) return d;
  fail("unknown --dataset '" + s + "' (expected cifar10, cifar100 or imagenet16)");
}
const char* dataset_name(Dataset d) { return info(d).name; }
int dataset_side(Dataset d) { return info(d).side; }
int dataset_classes(Dataset d) {  // the label the images carry: CIFAR-100's fine one
  const DatasetInfo& i = info(d);
  return i.label_max[i.label_bytes - 1] + 1;
}
int full_train_size(Dataset d) { return info(d).full_train; }

std::string resolve_data_dir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("NASWOT_DATA"); env && *env) return env;
  fail("no data directory: pass --data DIR or set NASWOT_DATA (DIR holds cifar10/data_batch_*.bin; see README)");
}

void read_image_file(const std::string& path, ImageSet& into) {
  const DatasetInfo& di = info(into.dataset);
  into.side = di.side;
  const std::string what = std::string(di.title) + " file " + path;
  const size_t image = into.image_bytes(), record = image + size_t(di.label_bytes);
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail("cannot open " + what);
  const std::streamoff size = f.tellg();
  if (size <= 0) fail(what + " is empty");
  if (size_t(size) % record != 0)
    fail(what + " is truncated or not in the binary format: " + std::to_string(size) +
         " bytes is not a multiple of the " + std::to_string(record) + "-byte record");
  const size_t n = size_t(size) / record;
  std::vector<uint8_t> raw(static_cast<size_t>(size));
  f.seekg(0);
  if (!f.read(reinterpret_cast<char*>(raw.data()), size)) fail("cannot read " + what);
  const size_t base = into.pixels.size();
  into.pixels.resize(base + n * image);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* r = raw.data() + i * record;
    for (int j = 0; j < di.label_bytes; ++j)
      if (r[j] > di.label_max[j])
        fail(what + " is corrupt: record " + std::to_string(i) + " has label " + std::to_string(r[j]) +
             " (expected 0.." + std::to_string(di.label_max[j]) + ")");
    into.labels.push_back(r[di.label_bytes - 1]);
    std::copy_n(r + di.label_bytes, image, into.pixels.data() + base + i * image);
  }
  into.n += int(n);
  into.files.push_back(path);
}

ImageSet load_train_images(const std::string& dir, Dataset d) {
  namespace fs = std::filesystem;
  const DatasetInfo& di = info(d);
  if (!fs::is_directory(dir)) fail("data directory " + dir + " does not exist");
  ImageSet set;
  set.dataset = d;
  set.side = di.side;
  std::vector<fs::path> files;
  fs::path root = fs::path(dir) / di.name;
  if (d == Dataset::Cifar10) {
    if (!fs::is_directory(root)) root = dir;
    for (int k = 1; k <= 5; ++k) files.push_back(root / ("data_batch_" + std::to_string(k) + ".bin"));
  } else {
    files.push_back(root / (d == Dataset::Cifar100 ? "train.bin" : "train_120.bin"));
  }
  for (const fs::path& p : files)
    if (fs::exists(p)) read_image_file(p.string(), set);
  if (set.n == 0)
    throw MissingData(std::string("no ") + di.title + " training " +
                      (d == Dataset::Cifar10 ? "batches (data_batch_1.bin .. data_batch_5.bin)"
                                             : "images (" + files[0].filename().string() + ")") +
                      " in " + root.string() + "; " + where(di, dir));
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
  const DatasetInfo& di = info(data.dataset);
  const size_t image = data.image_bytes();
  const int pad = di.side / 8;
  std::vector<float> out(size_t(batch) * image);
  for (int b = 0; b < batch; ++b) {
    bool flip = false;
    int oy = pad, ox = pad;
    if (mode != Augment::None) {
      flip = draw(aug_key, 3 * uint64_t(b)) & 1;
      oy = int(below(aug_key, 3 * uint64_t(b) + 1, 2 * pad + 1));
      ox = int(below(aug_key, 3 * uint64_t(b) + 2, 2 * pad + 1));
    }
    emit(di, data.pixels.data() + size_t(idx[b]) * image, flip, oy, ox, out.data() + size_t(b) * image);
  }
  if (chosen) *chosen = idx;
  return out;
}

std::vector<float> batch_of_images(const ImageSet& data, const std::vector<int>& images) {
  const DatasetInfo& di = info(data.dataset);
  if (data.n != di.full_train || (data.dataset == Dataset::Cifar10 && data.files.size() != 5)) {
    std::string present;
    for (const std::string& f : data.files) present += (present.empty() ? "" : ", ") + f;
    fail("this batch names images of the full " + std::string(di.title) + " training set, which needs " +
         (data.dataset == Dataset::Cifar10
              ? "all five official batches data_batch_1.bin .. data_batch_5.bin (50,000 images)"
              : "all " + std::to_string(di.full_train) + " images") +
         "; present: " + present + " (" + std::to_string(data.n) + " images). To get them: " + di.where);
  }
  const size_t image = data.image_bytes();
  const int pad = di.side / 8;
  std::vector<float> out(images.size() * image);
  for (size_t b = 0; b < images.size(); ++b) {
    if (images[b] < 0 || images[b] >= data.n) fail("image index " + std::to_string(images[b]) + " is out of range");
    emit(di, data.pixels.data() + size_t(images[b]) * image, false, pad, pad, out.data() + b * image);
  }
  return out;
}

}  // namespace naswot
