// NATS-Bench size search space: index <-> channels, and the network (searchspaces/nats_sss.h).
#include "searchspaces/nats_sss.h"

#include <vector>

#include "engine/error.h"
#include "searchspaces/nb201.h"

namespace naswot::nats_sss {

const char* const kCell =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";

namespace {
bool is_width(int v) { return v >= kStep && v <= kStep * kChoices && v % kStep == 0; }
}  // namespace

Channels from_index(long index) {
  if (index < 0 || index >= kNumArchs)
    fail("NATS-Bench SSS index " + std::to_string(index) + " is out of range [0, " + std::to_string(kNumArchs - 1) +
         "]");
  Channels c;
  for (int k = kLayers - 1; k >= 0; --k, index /= kChoices) c.c[size_t(k)] = int(index % kChoices + 1) * kStep;
  return c;
}

long index_of(const Channels& c) {
  long index = 0;
  for (int v : c.c) {
    if (!is_width(v)) fail("NATS-Bench SSS: " + std::to_string(v) + " channels is not a choice");
    index = index * kChoices + (v / kStep - 1);
  }
  return index;
}

std::string to_string(const Channels& c) {
  std::string s = std::to_string(c.c[0]);
  for (int k = 1; k < kLayers; ++k) s.append(":").append(std::to_string(c.c[size_t(k)]));
  return s;
}

Channels parse(const std::string& s) {
  const auto bad = [&](const std::string& why) {
    return Error("invalid NATS-Bench SSS channels '" + s + "': " + why +
                 " (expected five of 8, 16, ..., 64 joined by ':', e.g. 8:16:32:48:64)");
  };
  Channels c;
  size_t start = 0;
  for (int k = 0; k < kLayers; ++k) {
    const size_t colon = s.find(':', start);
    if ((colon == std::string::npos) != (k == kLayers - 1)) throw bad("needs exactly five layers");
    const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos)
      throw bad("'" + part + "' is not a channel count");
    const int v = std::stoi(part);
    if (!is_width(v)) throw bad(part + " is not one of 8, 16, ..., 64");
    c.c[size_t(k)] = v;
    start = colon + 1;
  }
  return c;
}

Channels resolve(const std::string& spec) {
  if (spec.empty()) fail("empty architecture");
  if (spec.find_first_not_of("0123456789") == std::string::npos) {
    if (spec.size() > 9) fail("NATS-Bench SSS index " + spec + " is out of range [0, 32767]");
    return from_index(std::stol(spec));
  }
  return parse(spec);
}

Graph build(const Channels& c, int num_classes, int image) {
  return nb201::build_layers(nb201::parse(kCell), std::vector<int>(c.c.begin(), c.c.end()), num_classes, image);
}

AccuracyTable load_accuracy_table(const std::string& data_dir) {
  return load_indexed_table(data_dir + "/nats_sss/nats_sss_accuracy.csv", "NATS-Bench SSS accuracy table",
                            "arch_channels", kNumArchs, [](long i) { return to_string(from_index(i)); });
}

}  // namespace naswot::nats_sss
