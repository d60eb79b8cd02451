// The public C++ interface (include/naswot/naswot.hpp) over the scoring set-up: options go through
// the CLI's option table, so their names, checks and messages are the CLI's.
#include <cstdio>
#include <string>
#include <vector>

#include "engine/error.h"
#include "naswot/naswot.hpp"
#include "tools/app/scoring.h"
#include "tools/cli_args.h"
#include "tools/scoring_setup.h"

namespace naswot {

struct Scorer::Impl {
  ScoringSetup setup;
};

namespace {

// key=value options -> the CLI's parse of `naswot score --key value ...` (scoring options only).
cli::Args parse_options(const std::map<std::string, std::string>& options) {
  std::vector<std::string> args = {"naswot", "score"};
  for (const auto& [k, v] : options) {
    const cli::Option* o = cli::find_option(k, cli::kScore);
    if (!o || (o->commands & cli::kScoring) != cli::kScoring)
      fail("unknown option '" + k + "' (the scoring options of naswot score --help, without dashes)");
    args.push_back("--" + o->name);
    if (!o->value.empty()) args.push_back(v);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return cli::parse(int(argv.size()), argv.data(), cli::kScore);
}

Result result_of(const ScoreRow& r) { return {r.index, r.arch, r.score, status_name(r.status), r.reason, r.seconds}; }

}  // namespace

Scorer::Scorer(const std::map<std::string, std::string>& options)
    : impl_(std::make_unique<Impl>(Impl{make_scoring_setup(parse_options(options))})) {}
Scorer::~Scorer() = default;
Scorer::Scorer(Scorer&&) noexcept = default;
Scorer& Scorer::operator=(Scorer&&) noexcept = default;

Result Scorer::score(const std::string& arch) { return result_of(impl_->setup.score_arch(arch)); }
Result Scorer::score(long index) { return result_of(impl_->setup.score_index(index)); }
long Scorer::space_size() const { return impl_->setup.space->size(); }
std::string Scorer::describe() const { return impl_->setup.banner(); }

const char* version() { return NASWOT_VERSION; }

}  // namespace naswot
