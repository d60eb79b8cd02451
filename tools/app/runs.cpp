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
std::string row_problem(const ScoreRow& r, const Space& space, const std::vector<std::string>& scores) {
  if (r.index < 0 || r.index >= space.size())
    return "index outside the space (0.." + std::to_string(space.size() - 1) + ")";
  if (std::string p = space.arch_problem(r.index, r.arch); !p.empty()) return p;
  if (r.more.size() + 1 != scores.size())
    return std::to_string(r.more.size() + 1) + " scores stored for a run of " + std::to_string(scores.size());
  for (size_t k = 0; k < scores.size(); ++k) {
    const ScoreEntry v = r.value(k);
    const bool agrees = v.status == ScoreStatus::Ok           ? std::isfinite(v.score)
                        : v.status == ScoreStatus::Degenerate ? std::isinf(v.score) && v.score < 0
                                                              : std::isnan(v.score);
    if (!agrees)
      return (scores.size() > 1 ? scores[k] + ": " : "") + "status " + status_name(v.status) + " with score " +
             std::to_string(v.score);
  }
  if (!(r.seconds >= 0) || !std::isfinite(r.seconds)) return "scoring time " + std::to_string(r.seconds);
  return "";
}

}  // namespace

CheckedRun read_run(const std::string& path) {
  const RunStore s = RunStore::open_existing(path);
  CheckedRun run{path, s.config(), "", {}, {}};
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
  if (score.empty()) refuse("no score kind recorded");
  try {
    for (ScoreKind k : parse_score_kinds(score)) run.scores.push_back(score_kind_name(k));
  } catch (const Error& e) {
    refuse(std::string("its scores: ") + e.what());
  }
  const std::string batch = run.get("batch", "");
  if (batch.empty() || batch.size() > 9 || batch.find_first_not_of("0123456789") != std::string::npos ||
      std::stol(batch) < 2)
    refuse(batch.empty() ? "no batch size recorded" : "batch size '" + batch + "'");
  run.rows = s.rows();
  for (const ScoreRow& r : run.rows)
    if (const std::string p = row_problem(r, *space, run.scores); !p.empty())
      refuse("row " + std::to_string(r.index) + ": " + p);
  return run;
}

size_t score_position(const std::vector<std::string>& scores, const std::string& by, const std::string& where,
                      const std::string& option) {
  if (by.empty()) return 0;
  for (size_t k = 0; k < scores.size(); ++k)
    if (scores[k] == by) return k;
  std::string list;
  for (const std::string& n : scores) list += (list.empty() ? "" : ", ") + n;
  fail(option + " " + by + ": " + where + " holds the scores " + list);
}

}  // namespace naswot
