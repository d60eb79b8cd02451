// Scores one network: executor Jacobian -> Sigma_J spectrum (on the executor's backend) -> score, timed.
#pragma once
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/score_jacob.h"

namespace naswot {

// The score of a run: the v1 Jacobian-covariance score or the later Hamming-kernel log-determinant.
enum class ScoreKind { JacobCov, Hamming };
const char* score_kind_name(ScoreKind k);  // jacob_cov | hamming, as --score and run databases spell them
bool parse_score_kind(const std::string& s, ScoreKind& out);  // false when s names none

struct NetworkScore {
  JacobScore score;
  JacobianResult jac;  // jac.jacobian is empty unless keep_jacobian
  double seconds = 0;  // forward + backward + score
};

// The score of an input-gradient J (batch x row values in the backend's memory and layout), on
// the backend; J == nullptr stands for J = 0 (degenerate).
JacobScore score_jacobian(Backend& be, const float* J, int batch, size_t row);

NetworkScore score_network(Executor& ex, const Graph& g, const std::vector<float>& params,
                           const std::vector<float>& batch_nchw, int batch, bool keep_jacobian = true);

}  // namespace naswot
