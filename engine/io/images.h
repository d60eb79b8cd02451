// Training images of CIFAR-10, CIFAR-100 and ImageNet16-120: readers, normalisation and seeded minibatch sampling
// with the three augmentation modes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace naswot {

// The datasets NAS-Bench-201 and NATS-Bench were trained on; a network scored "on" a dataset sees
// that dataset's training images, normalised with its constants (nb201.md 5.1).
enum class Dataset { Cifar10, Cifar100, ImageNet16 };
Dataset parse_dataset(const std::string& s);  // cifar10 | cifar100 | imagenet16 (ImageNet16-120)
const char* dataset_name(Dataset d);
int dataset_side(Dataset d);     // image side: 32 (CIFAR) or 16 (ImageNet16-120)
int dataset_classes(Dataset d);  // classes: 10, 100 (CIFAR-100's fine labels) or 120

struct ImageSet {
  Dataset dataset = Dataset::Cifar10;
  int side = 32;
  int n = 0;                    // images
  std::vector<uint8_t> pixels;  // n x 3 x side x side (R plane, G plane, B plane)
  std::vector<uint8_t> labels;  // the class (CIFAR-100: the fine label; ImageNet16-120: 0..119)
  std::vector<std::string> files;
  size_t image_bytes() const { return size_t(3) * side * side; }
};

// The data directory: the --data value if given, else $NASWOT_DATA; throws with instructions if neither.
std::string resolve_data_dir(const std::string& flag);

// Every training image of the dataset found under dir; throws, saying where to get the files, when there
// are none, and on an empty, truncated or corrupt file:
//   cifar10:    <dir>/cifar10/data_batch_1.bin .. data_batch_5.bin (or in <dir> itself), those present
//   cifar100:   <dir>/cifar100/train.bin (the official binary version)
//   imagenet16: <dir>/imagenet16/train_120.bin (tools/convert_imagenet16.py from the official pickles)
ImageSet load_train_images(const std::string& dir, Dataset d);
inline ImageSet load_cifar10_train(const std::string& dir) { return load_train_images(dir, Dataset::Cifar10); }
// One file in the dataset's binary layout, appended to `into` (whose dataset says which layout):
//   cifar10:    records of 1 label byte (0..9) + 3072 pixel bytes
//   cifar100:   records of a coarse (0..19) and a fine (0..99) label byte + 3072 pixel bytes
//   imagenet16: records of 1 label byte (0..119) + 768 pixel bytes (16x16; the CIFAR-10 layout shrunk)
void read_image_file(const std::string& path, ImageSet& into);
inline void read_cifar10_file(const std::string& path, ImageSet& into) { read_image_file(path, into); }
// Training images of the full official set (the reference sampler's indices refer to these).
int full_train_size(Dataset d);  // 50,000 (CIFAR) or 151,700 (ImageNet16-120)

enum class Augment {
  None,        // ToTensor + Normalize only
  FlipCrop,    // random horizontal flip, then a random crop of the zero-padded image (pad 4; ImageNet16: 2) (v1 code)
  AugmentOne,  // one image, B independently flip-cropped copies (the seed paper's abstract)
};
Augment parse_augment(const std::string& s);
const char* augment_name(Augment a);

// A normalised batch (B x 3 x side x side float32, the dataset's mean/std), a pure function of
// (seed, B, mode, data).
std::vector<float> make_batch(const ImageSet& data, int batch, uint64_t seed, Augment mode,
                              std::vector<int>* chosen = nullptr);

// The normalised, unaugmented training images `images` (indices into the full official training set,
// in the official order), in that order. Needs the full set; throws naming what is missing.
std::vector<float> batch_of_images(const ImageSet& data, const std::vector<int>& images);

}  // namespace naswot
