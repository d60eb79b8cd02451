// CIFAR-10 binary reader, normalisation and seeded minibatch sampling with the three augmentation modes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace naswot {

struct ImageSet {
  int n = 0;                     // images
  std::vector<uint8_t> pixels;   // n x 3 x 32 x 32 (R plane, G plane, B plane)
  std::vector<uint8_t> labels;
  std::vector<std::string> files;
};

// The data directory: the --data value if given, else $NASWOT_DATA; throws with instructions if neither.
std::string resolve_data_dir(const std::string& flag);

// Reads every official training batch present (data_batch_1.bin .. data_batch_5.bin) from
// <dir>/cifar10 or <dir> itself; throws on a missing, empty, truncated or corrupt file.
ImageSet load_cifar10_train(const std::string& dir);
// One file in the official binary layout (records of 1 label byte + 3072 pixel bytes).
void read_cifar10_file(const std::string& path, ImageSet& into);

enum class Augment {
  None,        // ToTensor + Normalize only
  FlipCrop,    // random horizontal flip, then a random 32x32 crop of the 4-pixel zero-padded image (v1 code)
  AugmentOne,  // one image, B independently flip-cropped copies (the seed paper's abstract)
};
Augment parse_augment(const std::string& s);
const char* augment_name(Augment a);

// A normalised batch (B x 3 x 32 x 32 float32, CIFAR-10 mean/std), a pure function of (seed, B, mode, data).
std::vector<float> make_batch(const ImageSet& data, int batch, uint64_t seed, Augment mode,
                              std::vector<int>* chosen = nullptr);

// The normalised, unaugmented training images `images` (indices into the official 50,000, in the
// official order), in that order. Needs all five training batches; throws naming what is missing.
std::vector<float> batch_of_images(const ImageSet& data, const std::vector<int>& images);

}  // namespace naswot
