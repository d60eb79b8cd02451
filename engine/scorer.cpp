// Glue between executor and score, with wall-clock timing.
#include "engine/scorer.h"

#include <chrono>

namespace naswot {

namespace {
constexpr ScoreKind kKinds[] = {ScoreKind::JacobCov, ScoreKind::Hamming, ScoreKind::GradNorm,   ScoreKind::Snip,
                                ScoreKind::Params,   ScoreKind::Flops,   ScoreKind::JacobCovZc, ScoreKind::Fisher};
constexpr const char* kKindNames[] = {"jacob_cov", "hamming", "grad_norm",    "snip",
                                      "params",    "flops",   "jacob_cov_zc", "fisher"};
}  // namespace

const char* score_kind_name(ScoreKind k) { return kKindNames[int(k)]; }

bool parse_score_kind(const std::string& s, ScoreKind& out) {
  for (ScoreKind k : kKinds)
    if (s == score_kind_name(k)) return out = k, true;
  return false;
}

JacobScore score_jacobian(Backend& be, const float* J, int batch, size_t row) {
  be.range_push("score");
  JacobScore s;
  if (J) {
    s = be.jacob_cov_score(J, batch, row, kJacobK);
  } else {  // J = 0: the same degenerate status as any constant Jacobian
    const std::vector<float> zeros(row * size_t(batch), 0.f);
    s = jacob_cov_score(zeros.data(), batch, row, kJacobK);
  }
  be.range_pop();
  return s;
}

NetworkScore score_network(Executor& ex, const Graph& g, const std::vector<float>& params,
                           const std::vector<float>& batch_nchw, int batch, bool keep_jacobian) {
  const auto t0 = std::chrono::steady_clock::now();
  NetworkScore r;
  r.jac = ex.jacobian(g, params, batch_nchw.data(), batch, keep_jacobian);
  r.score = score_jacobian(ex.backend(), ex.input_gradient(), batch, r.jac.row);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace naswot
