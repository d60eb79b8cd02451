// Reading run databases back with every row checked against its space (tools/app/runs.h).
#include "tools/app/runs.h"

#include <cmath>

#include "engine/error.h"
#include "engine/scorer.h"
#include "searchspaces/space.h"

namespace naswot {

std::string CheckedRun::get(const std::string& key, const std::string& fallback) const {
  auto it = config.identity.find(key);
  return it == config.identity.end() ? fallback : it->second;
}

namespace {

// The problem with row r of a run of `space`, or "" when there is none.
std::string row_problem(const ScoreRow& r, const Space& space) {
  if (r.index < 0 || r.index >= space.size())
    return "index outside the space (0.." + std::to_string(space.size() - 1) + ")";
  if (std::string p = space.arch_problem(r.index, r.arch); !p.empty()) return p;
  const bool agrees = r.status == ScoreStatus::Ok           ? std::isfinite(r.score)
                      : r.status == ScoreStatus::Degenerate ? std::isinf(r.score) && r.score < 0
                                                            : std::isnan(r.score);
  if (!agrees) return std::string("status ") + status_name(r.status) + " with score " + std::to_string(r.score);
  if (!(r.seconds >= 0) || !std::isfinite(r.seconds)) return "scoring time " + std::to_string(r.seconds);
  return "";
}

}  // namespace

CheckedRun read_run(const std::string& path) {
  const RunStore s = RunStore::open_existing(path);
  CheckedRun run{path, s.config(), "", {}};
  const auto refuse = [&](const std::string& what) {
    fail(path + ": " + what + "; this is not a run database as naswot writes them (edited, or from another tool?)");
  };
  run.space = run.get("space", "nb201");
  const Space* space = nullptr;
  try {
    space = &space_named(run.space);  // the one list of spaces
  } catch (const Error&) {
    refuse("unknown space '" + run.space + "'");
  }
  const std::string score = run.get("score", "");
  ScoreKind kind;
  if (!parse_score_kind(score, kind))
    refuse(score.empty() ? "no score kind recorded" : "score kind '" + score + "' (expected jacob_cov or hamming)");
  const std::string batch = run.get("batch", "");
  if (batch.empty() || batch.size() > 9 || batch.find_first_not_of("0123456789") != std::string::npos ||
      std::stol(batch) < 2)
    refuse(batch.empty() ? "no batch size recorded" : "batch size '" + batch + "'");
  run.rows = s.rows();
  for (const ScoreRow& r : run.rows)
    if (const std::string p = row_problem(r, *space); !p.empty()) refuse("row " + std::to_string(r.index) + ": " + p);
  return run;
}

}  // namespace naswot
