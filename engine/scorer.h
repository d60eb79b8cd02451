// Scores one network: executor Jacobian -> Sigma_J spectrum (on the executor's backend) -> score, timed.
#pragma once
#include <vector>

#include "engine/executor.h"
#include "engine/score_jacob.h"

namespace naswot {

struct NetworkScore {
  JacobScore score;
  JacobianResult jac;  // jac.jacobian is empty unless keep_jacobian
  double seconds = 0;  // forward + backward + score
};

NetworkScore score_network(Executor& ex, const Graph& g, const std::vector<float>& params,
                           const std::vector<float>& batch_nchw, int batch, bool keep_jacobian = true);

}  // namespace naswot
