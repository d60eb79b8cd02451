// NAS-Bench-201 encoding against the benchmark table and the benchmark's test vectors; builder shapes and counts.
#include <doctest/doctest.h>

#include <fstream>

#include "engine/error.h"
#include "searchspaces/nb201.h"
#include "tests/test_util.h"

using namespace naswot;

TEST_CASE("index order reproduces the benchmark's seed-88 shuffle (the benchmark's test vectors)") {
  const int first_ten[] = {13931, 11791, 14874, 13126, 4032, 7204, 9493, 1168, 8903, 12528};
  for (int i = 0; i < 10; ++i) CHECK(nb201::index_to_ordinal_table()[i] == first_ten[i]);
  CHECK(nb201::to_string(nb201::from_index(1)) ==
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|");
  CHECK(nb201::to_string(nb201::from_index(10)) ==
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|none~0|none~1|none~2|");
  CHECK(nb201::to_string(nb201::from_index(15624)) ==
        "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|");
}

TEST_CASE("all 15,625 architectures match nb201_index_to_arch.tsv and round-trip") {
  const std::string dir = test::data_dir();
  if (dir.empty()) {
    MESSAGE("NASWOT_TEST_DATA not set: table comparison skipped");
    return;
  }
  std::ifstream f(dir + "/nb201/nb201_index_to_arch.tsv");
  REQUIRE(f.good());
  std::string line;
  int rows = 0, mismatches = 0;
  while (std::getline(f, line)) {
    const size_t tab = line.find('\t');
    const int index = std::stoi(line.substr(0, tab));
    const std::string arch = line.substr(tab + 1);
    const nb201::Arch a = nb201::from_index(index);
    if (nb201::to_string(a) != arch || nb201::index_of(nb201::parse(arch)) != index || !(nb201::parse(arch) == a))
      ++mismatches;
    ++rows;
  }
  CHECK(rows == nb201::kNumArchs);
  CHECK(mismatches == 0);
}

TEST_CASE("parameter counts with num_classes = 1 (docs/nb201.md)") {
  CHECK(nb201::build(nb201::from_index(0)).num_params() == 128721);
  CHECK(nb201::build(nb201::from_index(1)).num_params() == 801841);
  CHECK(nb201::build(nb201::from_index(10)).num_params() == 801841);  // 'none' cells keep their conv params
}

TEST_CASE("network output shape and spatial sizes") {
  const Graph g = nb201::build(nb201::from_index(1));
  CHECK(g.shape(g.output) == Shape{1, 1, 1});
  CHECK(g.shape(0) == Shape{3, 32, 32});
  nb201::NetConfig im16;
  im16.image = 16;
  im16.num_classes = 120;
  const Graph g16 = nb201::build(nb201::from_index(1), im16);
  CHECK(g16.shape(g16.output) == Shape{120, 1, 1});
}

TEST_CASE("malformed architectures get clear errors") {
  auto msg = [](const std::string& s) {
    try {
      nb201::resolve(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(msg("|conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|").find("unknown op 'conv_5x5'") != std::string::npos);
  CHECK(msg("|none~0|+|none~0|+|none~0|none~1|none~2|").find("incoming edges") != std::string::npos);
  CHECK(msg("|none~0|+|none~0|none~1|").find("3") != std::string::npos);
  CHECK(msg("|none~0|+|none~0|none~1|+|none~0|none~2|none~1|").find("should come from node 1") != std::string::npos);
  CHECK(msg("|none0|+|none~0|none~1|+|none~0|none~1|none~2|").find("lacks '~") != std::string::npos);
  CHECK(msg("15625").find("out of range") != std::string::npos);
  CHECK(msg("-1").find("out of range") != std::string::npos);
  CHECK(msg("99999999999999").find("out of range") != std::string::npos);
  CHECK(msg("").find("empty") != std::string::npos);
  CHECK(msg("15624") == "no error");
}
