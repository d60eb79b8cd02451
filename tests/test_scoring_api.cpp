// The embedding API (tools/app/scoring.h): options are validated with the option's name, a
// Scorer's workers score in parallel threads with the same bits, and bad architectures throw.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "engine/error.h"
#include "searchspaces/nb101_bench.h"
#include "tests/test_util.h"
#include "tools/app/scoring.h"

using namespace naswot;

namespace {

ScoringOptions small_cpu() {
  ScoringOptions o;
  o.data = test::data_dir();
  o.backend = "cpu";
  o.batch = 8;
  o.threads = 2;
  return o;
}

}  // namespace

TEST_CASE("scoring API: option errors name the option") {
  if (test::data_dir().empty()) return;  // needs CIFAR-10 (CTest sets NASWOT_TEST_DATA)
  auto fails_with = [](ScoringOptions o, const char* what, ScoringUse use = ScoringUse::One) {
    CAPTURE(what);
    CHECK_THROWS_WITH_AS(make_scoring_setup(o, use), doctest::Contains(what), Error);
  };
  ScoringOptions o = small_cpu();
  o.space = "nb999";
  fails_with(o, "unknown --space 'nb999'");
  o = small_cpu();
  o.batch = 1;
  fails_with(o, "--batch 1 is out of range");
  o = small_cpu();
  o.relu_sites = "reference";  // given, with the default jacob_cov score
  fails_with(o, "--relu-sites applies to --score hamming only");
  o = small_cpu();
  o.sigma_precision = "fp16";
  fails_with(o, "unknown --sigma-precision 'fp16'");
  o = small_cpu();
  o.precision = "tf32";
  fails_with(o, "--precision tf32 needs the CUDA backend");
  o = small_cpu();
  o.workers = 2;
  fails_with(o, "--workers applies to score-space");  // a single-architecture caller
  o.streams = 2;
  fails_with(o, "--streams is the CUDA name of --workers", ScoringUse::Many);
  o = small_cpu();
  o.devices = "0";
  fails_with(o, "--devices applies to the CUDA backend", ScoringUse::Many);
  o = small_cpu();
  o.workers = 2;
  fails_with(o, "--workers applies to score-space", ScoringUse::Rank);  // an MPI rank: the ranks are the workers
  o = small_cpu();
  o.lockstep = 4;
  fails_with(o, "--lockstep applies to score-space and live search");
  CHECK(make_scoring_setup(o, ScoringUse::Rank).lockstep == 4);  // a rank scores its share through score_many
  o = small_cpu();
  o.local_rank = 1;  // an MPI rank on the CPU backend: no device to choose
  CHECK(make_scoring_setup(o).backend().name() == "cpu");
  o = small_cpu();
  o.data = "/nonexistent/naswot-data";
  CHECK_THROWS_AS(make_scoring_setup(o), Error);
}

TEST_CASE("GPUs: --devices lists and the MPI rank -> device mapping") {
  CHECK(parse_devices("all", 3) == std::vector<int>{0, 1, 2});
  CHECK(parse_devices("2,0", 4) == std::vector<int>{2, 0});
  CHECK(test::error_of([] { parse_devices("1,1", 4); }).find("device 1 is given twice") != std::string::npos);
  CHECK(test::error_of([] { parse_devices("4", 4); }).find("no CUDA device 4 (4 present)") != std::string::npos);
  CHECK(test::error_of([] { parse_devices("0,,1", 4); }).find("--devices expects") != std::string::npos);
  CHECK(test::error_of([] { parse_devices("-1", 4); }).find("--devices expects") != std::string::npos);
  CHECK(test::error_of([] { parse_devices("all", 0); }).find("no CUDA device present") != std::string::npos);
  // Ranks of a node take the devices in turn, sharing them when there are more ranks than devices.
  const std::vector<int> four = {0, 1, 2, 3}, odd = {1, 3};
  for (int local = 0; local < 8; ++local) CHECK(device_for_local_rank(local, four) == local % 4);
  CHECK(device_for_local_rank(0, odd) == 1);
  CHECK(device_for_local_rank(1, odd) == 3);
  CHECK(device_for_local_rank(2, odd) == 1);
}

TEST_CASE("scoring API: workers in parallel threads give the single worker's bits") {
  if (test::data_dir().empty()) return;
  ScoringSetup one = make_scoring_setup(small_cpu());
  ScoringOptions o = small_cpu();
  o.workers = 2;
  ScoringSetup two = make_scoring_setup(o, ScoringUse::Many);
  REQUIRE(two.workers.size() == 2);
  const long archs[] = {1, 77, 4321, 15624};
  ScoreRow a[4], b[4];
  for (int i = 0; i < 4; ++i) a[i] = one.score_index(archs[i]);
  std::thread t([&] {
    two.bind(1);
    for (int i = 0; i < 4; i += 2) b[i] = two.score_index(archs[i], 1);
  });
  for (int i = 1; i < 4; i += 2) b[i] = two.score_index(archs[i], 0);
  t.join();
  for (int i = 0; i < 4; ++i) {
    CAPTURE(archs[i]);
    CHECK(a[i].status == b[i].status);
    CHECK(std::memcmp(&a[i].score, &b[i].score, sizeof(double)) == 0);  // bit for bit
    CHECK(a[i].index == archs[i]);
  }
  // Arch strings and indices name the same network; malformed and out-of-range ones throw.
  const ScoreRow s = one.score_arch(a[1].arch);
  CHECK(s.index == 77);
  CHECK(std::memcmp(&s.score, &a[1].score, sizeof(double)) == 0);
  CHECK_THROWS_WITH_AS(one.score_arch("|nor_conv_5x5~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
                       doctest::Contains("unknown op 'nor_conv_5x5'"), Error);
  CHECK_THROWS_WITH_AS(one.score_arch("15625"), doctest::Contains("out of range"), Error);
  CHECK_THROWS_WITH_AS(one.score_index((1L << 32) + 1), doctest::Contains("out of range"), Error);  // not index 1
  CHECK_THROWS_WITH_AS(one.score_index(-1), doctest::Contains("out of range"), Error);
}

TEST_CASE("several scores in one pass equal each score alone, bit for bit") {
  if (test::data_dir().empty()) return;
  const auto check = [](const std::string& space, const std::vector<long>& indices, const std::string& list) {
    ScoringOptions o = small_cpu();
    o.space = space;
    o.score = list;
    ScoringSetup all = make_scoring_setup(o);
    const std::vector<ScoreKind> kinds = all.score_kinds;
    REQUIRE(score_kinds_name(kinds) == list);
    for (long index : indices) {
      const ScoreRow together = all.score_index(index);
      REQUIRE(together.more.size() + 1 == kinds.size());
      for (size_t k = 0; k < kinds.size(); ++k) {
        o.score = score_kind_name(kinds[k]);
        ScoringSetup alone = make_scoring_setup(o);
        const ScoreRow r = alone.score_index(index);
        CAPTURE(space);
        CAPTURE(index);
        CAPTURE(o.score);
        const ScoreEntry v = together.value(k);
        CHECK(v.status == r.status);
        CHECK(v.reason == r.reason);
        CHECK(std::memcmp(&v.score, &r.score, sizeof(double)) == 0);
      }
    }
  };
  // The proxies' network (the dataset's classes), in an order that puts the shared pass in the middle.
  check("nb201", {3, 1234}, "params,snip,jacob_cov_zc,fisher,synflow,ntk,zen,grad_norm,grasp,flops");
  check("nb101", {17}, "grad_norm,zen,synflow,grasp,fisher");
  check("nb201", {1234}, "hamming,jacob_cov");  // NASWOT's network
  ScoringOptions o = small_cpu();
  o.score = "jacob_cov,grad_norm";
  CHECK_THROWS_WITH_AS(make_scoring_setup(o), doctest::Contains("score them in separate runs"), Error);
  o.score = "snip,bogus";
  CHECK_THROWS_WITH_AS(make_scoring_setup(o), doctest::Contains("unknown score 'bogus'"), Error);
  o.score = "hamming,jacob_cov";
  o.lockstep = 4;
  CHECK_THROWS_WITH_AS(make_scoring_setup(o, ScoringUse::Many), doctest::Contains("--lockstep applies to one score"),
                       Error);
}

TEST_CASE("runs that draw normal values carry the draws' revision in their identity; others do not") {
  if (test::data_dir().empty()) return;
  const auto revision = [](const char* space, const char* score, const char* nb101_network = "") {
    ScoringOptions o = small_cpu();
    o.space = space;
    o.score = score;
    o.nb101_network = nb101_network;
    const auto id = make_scoring_setup(o).run_config().identity;
    return id.count("normal_draws") ? id.at("normal_draws") : std::string("none");
  };
  CHECK(revision("nb101", "jacob_cov") == "2");  // He-normal weights
  CHECK(revision("nb201", "zen") == "2");        // zen's weights and inputs
  CHECK(revision("nb201", "jacob_cov") == "none");
  CHECK(revision("nb101", "grad_norm", "zero-cost") == "none");  // PyTorch's default (uniform) weights
  CHECK(revision("nats-sss", "hamming") == "none");
}

TEST_CASE("--nb101-network zero-cost: the benchmark's network, with its parameter count") {
  if (test::data_dir().empty()) return;
  ScoringOptions o = small_cpu();
  o.space = "nb101";
  o.score = "params";
  o.nb101_network = "zero-cost";
  ScoringSetup suite = make_scoring_setup(o);
  CHECK(suite.net.num_classes == 10);
  CHECK(suite.run_config().identity.at("nb101_network") == "zero-cost");
  const nb101::AccuracyTable t = nb101::load_accuracy_table(test::data_dir());
  const int col = t.column("trainable_params");
  REQUIRE(col >= 0);
  int compared = 0;  // the table has the count for some cells only
  for (long index : {0L, 1L, 17L, 4321L, 50000L, 123456L, 200000L, 300000L, 423623L}) {
    const ScoreRow r = suite.score_index(index);
    const std::vector<double>* row = t.find(r.arch.substr(0, 32));
    REQUIRE(row != nullptr);
    CAPTURE(r.arch);
    if (std::isnan((*row)[size_t(col)])) continue;
    CHECK(r.score == (*row)[size_t(col)]);  // stem 128, 10 classes: the benchmark's trainable parameters
    ++compared;
  }
  CHECK(compared >= 4);
  // NASWOT's network (stem 16) is another one; the option belongs to NB101.
  o.nb101_network = "";
  CHECK(make_scoring_setup(o).score_index(1).score < suite.score_index(1).score / 10);
  o.nb101_network = "stem64";
  CHECK_THROWS_WITH_AS(make_scoring_setup(o), doctest::Contains("unknown --nb101-network 'stem64'"), Error);
  o = small_cpu();
  o.nb101_network = "zero-cost";
  CHECK_THROWS_WITH_AS(make_scoring_setup(o), doctest::Contains("--nb101-network applies to --space nb101"), Error);
}
