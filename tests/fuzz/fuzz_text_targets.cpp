// Fuzz targets over text the user types: architecture specs of the three spaces and command lines.
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/io/images.h"
#include "engine/score_hamming.h"
#include "searchspaces/nats_sss.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb201.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tools/cli_args.h"

namespace naswot::fuzz {
namespace {

std::string text(const uint8_t* d, size_t n) { return std::string(reinterpret_cast<const char*>(d), n); }

std::vector<std::string> lines(const std::string& s, size_t max) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && out.size() < max) {
    const size_t nl = s.find('\n', start);
    out.push_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

}  // namespace

void nb201_arch(const uint8_t* d, size_t n) {
  const std::string s = text(d, n);
  const nb201::Arch a = nb201::resolve(s);  // may refuse
  // Accepted: a real architecture, whatever way it was written.
  const int index = nb201::index_of(a);
  NASWOT_FUZZ_CHECK(index >= 0 && index < nb201::kNumArchs, s);
  NASWOT_FUZZ_CHECK(nb201::from_index(index) == a, s);
  NASWOT_FUZZ_CHECK(nb201::parse(nb201::to_string(a)) == a, s);
  NASWOT_FUZZ_CHECK(nb201::build(a).num_params() > 0, s);
}

void sss_arch(const uint8_t* d, size_t n) {
  const std::string s = text(d, n);
  const nats_sss::Channels c = nats_sss::resolve(s);
  const long index = nats_sss::index_of(c);
  NASWOT_FUZZ_CHECK(index >= 0 && index < nats_sss::kNumArchs, s);
  NASWOT_FUZZ_CHECK(nats_sss::from_index(index) == c, s);
  NASWOT_FUZZ_CHECK(nats_sss::parse(nats_sss::to_string(c)) == c, s);
  NASWOT_FUZZ_CHECK(nats_sss::build(c).num_params() > 0, s);
}

void nb101_cell(const uint8_t* d, size_t n) {
  const std::string s = text(d, n);
  const size_t nl = s.find('\n');
  const std::string matrix = s.substr(0, nl), ops = nl == std::string::npos ? "" : s.substr(nl + 1);
  const nb101::Cell c = nb101::parse_cell(matrix, ops);
  // Accepted: a pruned cell within the space's limits that reads back as itself and builds (any
  // naswot::Error from here on is a bug too: the cell was accepted).
  try {
    NASWOT_FUZZ_CHECK(c.V >= 2 && c.V <= nb101::kMaxVertices, s);
    NASWOT_FUZZ_CHECK(c.num_edges() <= nb101::kMaxEdges, s);
    NASWOT_FUZZ_CHECK(c.labels.front() == nb101::Input && c.labels.back() == nb101::Output, s);
    const std::string hash = nb101::graph_hash(c);
    NASWOT_FUZZ_CHECK(nb101::graph_hash(nb101::parse_cell(c.matrix_string(), c.ops_string())) == hash, s);
    NASWOT_FUZZ_CHECK(nb101::build(c).num_params() > 0, s);
    NASWOT_FUZZ_CHECK(nb101::vertex_channels(16, 32, c).size() == size_t(c.V), s);
  } catch (const Error& e) {
    fuzz_bug("nb101_cell: an accepted cell failed later: " + std::string(e.what()) + " [" + s + "]");
  }
}

void cli_args(const uint8_t* d, size_t n) {
  // The lines are one subcommand's arguments; the input's length picks the subcommand.
  const cli::CommandInfo& cmd = cli::commands()[n % cli::commands().size()];
  std::vector<std::string> args = {"naswot", cmd.name};
  for (const std::string& a : lines(text(d, n), 24)) args.push_back(a);
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  const cli::Args a = cli::parse(int(argv.size()), argv.data(), cmd.bit);
  for (const cli::Option& o : cli::options()) {  // every integer the parser accepted is within its range
    if (!(o.commands & cmd.bit) || !o.integer || !a.has(o.name)) continue;
    const long v = a.get_int(o.name, 0);
    NASWOT_FUZZ_CHECK(v >= o.lo && v <= o.hi, o.name);
  }
  NASWOT_FUZZ_CHECK(cmd.positional || a.positional.empty(), "positional arguments accepted");
  if (!(cli::find_option("dataset", cmd.bit) && cli::find_option("augment", cmd.bit))) return;
  try {
    parse_dataset(a.get("dataset"));
    parse_augment(a.get("augment"));
  } catch (const Error&) {
  }
  if (!cli::find_option("arch", cmd.bit)) return;
  const std::vector<std::string> pieces = cli::expand_arch_list(a.all("arch"), nb201::kNumArchs);
  for (size_t k = 0; k < pieces.size() && k < 64; ++k) {  // 'all' expands to the whole space
    try {
      nb201::resolve(pieces[k]);
    } catch (const Error&) {
    }
  }
}

}  // namespace naswot::fuzz
