// NATS-Bench SSS: the index order and every network's parameter count against the benchmark's table
// (nats_sss_accuracy.csv: params for 10, 100 and 120 classes), parsing errors.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "engine/io/csv.h"
#include "searchspaces/nats_sss.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::error_of;

TEST_CASE("NATS SSS: index order and parameter counts of all 32,768 networks equal the benchmark's") {
  CHECK(nats_sss::to_string(nats_sss::from_index(0)) == "8:8:8:8:8");
  CHECK(nats_sss::to_string(nats_sss::from_index(1)) == "8:8:8:8:16");
  CHECK(nats_sss::to_string(nats_sss::from_index(32767)) == "64:64:64:64:64");
  const std::string dir = test::data_dir();
  if (dir.empty()) return;
  std::ifstream f(dir + "/nats_sss/nats_sss_accuracy.csv");
  REQUIRE(f);
  std::string line;
  std::getline(f, line);
  REQUIRE(line.rfind("index,arch_channels,params_c10,", 0) == 0);
  long rows = 0, order = 0, p10 = 0, p100 = 0, p120 = 0, checked_other = 0;
  while (std::getline(f, line)) {
    const auto cells = split_csv(line);
    const long index = std::stol(cells[0]);
    const nats_sss::Channels c = nats_sss::parse(cells[1]);
    order += nats_sss::index_of(c) == index && nats_sss::to_string(nats_sss::from_index(index)) == cells[1];
    p10 += nats_sss::build(c, 10).num_params() == std::stoul(cells[2]);
    if (index % 7 == 0) {  // the other heads on a stride of the space (the head is the only difference)
      ++checked_other;
      p100 += nats_sss::build(c, 100).num_params() == std::stoul(cells[4]);
      p120 += nats_sss::build(c, 120, 16).num_params() == std::stoul(cells[6]);
    }
    ++rows;
  }
  CHECK(rows == nats_sss::kNumArchs);
  CHECK(order == rows);
  CHECK(p10 == rows);
  CHECK(p100 == checked_other);
  CHECK(p120 == checked_other);
}

TEST_CASE("NATS SSS: bad channel strings and indices get clear errors") {
  CHECK(error_of([] { nats_sss::parse("8:8:8:8"); }).find("five layers") != std::string::npos);
  CHECK(error_of([] { nats_sss::parse("8:8:8:8:8:8"); }).find("five layers") != std::string::npos);
  CHECK(error_of([] { nats_sss::parse("8:8:12:8:8"); }).find("not one of") != std::string::npos);
  CHECK(error_of([] { nats_sss::parse("8:8:x:8:8"); }).find("not a channel count") != std::string::npos);
  CHECK(error_of([] { nats_sss::parse("8:8::8:8"); }).find("not a channel count") != std::string::npos);
  CHECK(error_of([] { nats_sss::resolve("32768"); }).find("out of range") != std::string::npos);
  CHECK(nats_sss::resolve("40:16:64:8:24") == nats_sss::parse("40:16:64:8:24"));
  CHECK(nats_sss::resolve("12345") == nats_sss::from_index(12345));
}
