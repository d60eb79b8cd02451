// The public C++ interface (include/naswot/naswot.hpp) over the scoring set-up: options go through
// the CLI's option table, so their names, checks and messages are the CLI's.
#include <cstdio>
#include <string>

#include "engine/error.h"
#include "naswot/naswot.hpp"
#include "tools/app/scoring.h"
#include "tools/scoring_setup.h"

namespace naswot {

struct Scorer::Impl {
  ScoringSetup setup;
};

namespace {

Result result_of(const ScoreRow& r, const std::vector<ScoreKind>& kinds) {
  Result out{r.index, r.arch, r.score, status_name(r.status), r.reason, r.seconds, {}, {}};
  for (size_t k = 0; k < kinds.size(); ++k) {
    out.scores[score_kind_name(kinds[k])] = r.value(k).score;
    out.statuses[score_kind_name(kinds[k])] = status_name(r.value(k).status);
  }
  return out;
}

}  // namespace

Scorer::Scorer(const std::map<std::string, std::string>& options)
    : impl_(std::make_unique<Impl>(Impl{make_scoring_setup(scoring_args(options))})) {}
Scorer::~Scorer() = default;
Scorer::Scorer(Scorer&&) noexcept = default;
Scorer& Scorer::operator=(Scorer&&) noexcept = default;

Result Scorer::score(const std::string& arch) {
  return result_of(impl_->setup.score_arch(arch), impl_->setup.score_kinds);
}
Result Scorer::score(long index) { return result_of(impl_->setup.score_index(index), impl_->setup.score_kinds); }
long Scorer::space_size() const { return impl_->setup.space->size(); }
std::string Scorer::describe() const { return impl_->setup.banner(); }

const char* version() { return NASWOT_VERSION; }

}  // namespace naswot
