// Scores one network: executor Jacobian -> Sigma_J spectrum -> score and status, timed.
#pragma once
#include <vector>

#include "engine/executor.h"
#include "engine/score_jacob.h"

namespace naswot {

struct NetworkScore {
  JacobScore score;
  JacobianResult jac;
  double seconds = 0;  // forward + backward + score
};

NetworkScore score_network(Executor& ex, const Graph& g, const std::vector<float>& params,
                           const std::vector<float>& batch_nchw, int batch);

}  // namespace naswot
