// Scores one network: executor Jacobian -> Sigma_J spectrum (on the executor's backend) -> score, timed.
#pragma once
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/score_jacob.h"

namespace naswot {

// The score of a run: the v1 Jacobian-covariance score, the later Hamming-kernel log-determinant, or
// a zero-cost proxy (docs/proxies.md): grad_norm and snip from the weights' gradients of the
// cross-entropy, params and flops as the baselines.
enum class ScoreKind { JacobCov, Hamming, GradNorm, Snip, Params, Flops, JacobCovZc, Fisher, Synflow, Ntk, Zen, Grasp };
// jacob_cov | hamming | grad_norm | snip | params | flops | jacob_cov_zc | fisher | synflow | ntk | zen | grasp, as
// --score and run databases spell them.
const char* score_kind_name(ScoreKind k);
// The Sigma_J score: NASWOT's (one output), or zero-cost-nas's jacob_cov (the dataset's classes).
inline bool is_jacobian_score(ScoreKind k) { return k == ScoreKind::JacobCov || k == ScoreKind::JacobCovZc; }
// Scores from the weights' gradients of a loss on labelled images (the proxies' pass).
inline bool needs_weight_gradients(ScoreKind k) {
  return k == ScoreKind::GradNorm || k == ScoreKind::Snip || k == ScoreKind::Fisher || k == ScoreKind::Grasp;
}
// Scores of the network's description alone (no pass over data).
inline bool is_size_baseline(ScoreKind k) { return k == ScoreKind::Params || k == ScoreKind::Flops; }
// The zero-cost proxies: networks with the dataset's classes as outputs, as the proxy suites build them.
inline bool is_proxy(ScoreKind k) {
  return needs_weight_gradients(k) || is_size_baseline(k) || k == ScoreKind::JacobCovZc || k == ScoreKind::Synflow ||
         k == ScoreKind::Ntk || k == ScoreKind::Zen;
}
bool parse_score_kind(const std::string& s, ScoreKind& out);  // false when s names none
std::string score_kind_names();                               // every name, comma-separated, for messages
// "grad_norm,snip" -> its kinds in order; an unknown or repeated name is a naswot::Error naming it.
std::vector<ScoreKind> parse_score_kinds(const std::string& list);
std::string score_kinds_name(const std::vector<ScoreKind>& kinds);  // the inverse: names joined by commas

struct NetworkScore {
  JacobScore score;
  JacobianResult jac;  // jac.jacobian is empty unless keep_jacobian
  double seconds = 0;  // forward + backward + score
};

// The score of an input-gradient J (batch x row values in the backend's memory and layout), on
// the backend; J == nullptr stands for J = 0 (degenerate).
JacobScore score_jacobian(Backend& be, const float* J, int batch, size_t row);
// The scores of several such J together (Backend::jacob_cov_scores): the same as score_jacobian on each.
std::vector<JacobScore> score_jacobians(Backend& be, const std::vector<const float*>& J, int batch, size_t row);

NetworkScore score_network(Executor& ex, const Graph& g, const Weights& params, const std::vector<float>& batch_nchw,
                           int batch, bool keep_jacobian = true);

}  // namespace naswot
