// Glue between executor and score, with wall-clock timing.
#include "engine/scorer.h"

#include <chrono>

namespace naswot {

NetworkScore score_network(Executor& ex, const Graph& g, const std::vector<float>& params,
                           const std::vector<float>& batch_nchw, int batch) {
  const auto t0 = std::chrono::steady_clock::now();
  NetworkScore r;
  r.jac = ex.jacobian(g, params, batch_nchw.data(), batch);
  r.score = jacob_cov_score(r.jac.jacobian.data(), batch, r.jac.row);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace naswot
