// Glue between executor and score, with wall-clock timing.
#include "engine/scorer.h"

#include <algorithm>
#include <chrono>
#include <iterator>

#include "engine/error.h"
#include "engine/io/csv.h"

namespace naswot {

namespace {
// Every score kind with its name, in the enum's order.
constexpr struct {
  ScoreKind kind;
  const char* name;
} kKinds[] = {{ScoreKind::JacobCov, "jacob_cov"},
              {ScoreKind::Hamming, "hamming"},
              {ScoreKind::GradNorm, "grad_norm"},
              {ScoreKind::Snip, "snip"},
              {ScoreKind::Params, "params"},
              {ScoreKind::Flops, "flops"},
              {ScoreKind::JacobCovZc, "jacob_cov_zc"},
              {ScoreKind::Fisher, "fisher"},
              {ScoreKind::Synflow, "synflow"},
              {ScoreKind::Ntk, "ntk"},
              {ScoreKind::Zen, "zen"},
              {ScoreKind::Grasp, "grasp"}};
static_assert(int(kKinds[std::size(kKinds) - 1].kind) == int(std::size(kKinds)) - 1, "one row per kind, in order");
}  // namespace

const char* score_kind_name(ScoreKind k) { return kKinds[int(k)].name; }

bool parse_score_kind(const std::string& s, ScoreKind& out) {
  for (const auto& row : kKinds)
    if (s == row.name) return out = row.kind, true;
  return false;
}

std::string score_kind_names() {
  std::string out;
  for (const auto& row : kKinds) out += std::string(out.empty() ? "" : ", ") + row.name;
  return out;
}

std::vector<ScoreKind> parse_score_kinds(const std::string& list) {
  std::vector<ScoreKind> out;
  for (const std::string& name : split_csv(list)) {
    ScoreKind k;
    if (!parse_score_kind(name, k))
      fail("unknown score '" + name + "' in '" + list + "' (expected one or more of " + score_kind_names() +
           ", joined by commas)");
    if (std::find(out.begin(), out.end(), k) != out.end())
      fail("score '" + name + "' is named twice in '" + list + "'");
    out.push_back(k);
  }
  return out;
}

std::string score_kinds_name(const std::vector<ScoreKind>& kinds) {
  std::string out;
  for (ScoreKind k : kinds) out += std::string(out.empty() ? "" : ",") + score_kind_name(k);
  return out;
}

namespace {
// J = 0: the same degenerate status as any constant Jacobian.
JacobScore zero_jacobian_score(int batch, size_t row) {
  const std::vector<float> zeros(row * size_t(batch), 0.f);
  return jacob_cov_score(zeros.data(), batch, row, kJacobK);
}
}  // namespace

JacobScore score_jacobian(Backend& be, const float* J, int batch, size_t row) {
  be.range_push("score");
  JacobScore s = J ? be.jacob_cov_score(J, batch, row, kJacobK) : zero_jacobian_score(batch, row);
  be.range_pop();
  return s;
}

std::vector<JacobScore> score_jacobians(Backend& be, const std::vector<const float*>& J, int batch, size_t row) {
  be.range_push("scores");
  std::vector<const float*> given;
  for (const float* j : J)
    if (j) given.push_back(j);
  std::vector<JacobScore> got = be.jacob_cov_scores(given.data(), int(given.size()), batch, row, kJacobK);
  std::vector<JacobScore> out;
  size_t next = 0;
  for (const float* j : J) out.push_back(j ? std::move(got.at(next++)) : zero_jacobian_score(batch, row));
  be.range_pop();
  return out;
}

NetworkScore score_network(Executor& ex, const Graph& g, const Weights& params, const std::vector<float>& batch_nchw,
                           int batch, bool keep_jacobian) {
  const auto t0 = std::chrono::steady_clock::now();
  NetworkScore r;
  r.jac = ex.jacobian(g, params, batch_nchw.data(), batch, keep_jacobian);
  r.score = score_jacobian(ex.backend(), ex.input_gradient(), batch, r.jac.row);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace naswot
