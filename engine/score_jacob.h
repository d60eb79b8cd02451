// The v1 NASWOT score from a Jacobian: eigenvalues of its row-correlation matrix, in float64.
#pragma once
#include <string>
#include <vector>

namespace naswot {

// An architecture's status: scored (a finite score), degenerate (its Jacobian or K_H carries no
// information: score -inf), or reference_nan (the reference code cannot score it and that quirk is
// reproduced: score NaN). Run databases and every output spell them as status_name gives.
enum class ScoreStatus { Ok, Degenerate, ReferenceNan };
const char* status_name(ScoreStatus s);
// The status named s; false when s names none.
bool parse_status(const std::string& s, ScoreStatus& out);

struct JacobScore {
  double score = 0;  // -inf when degenerate
  ScoreStatus status = ScoreStatus::Ok;
  std::string reason;               // why degenerate
  std::vector<double> eigenvalues;  // ascending, of Sigma_J
};

constexpr double kJacobK = 1e-5;

// Precision of Sigma_J's product A A^T (A: the centred, unit-norm rows of J, always computed in
// float64): fp64 (default), or fp32: A rounded to float32 and the product accumulated in float32
// (SSYRK), then widened to float64 for clamping and the solver (--sigma-precision).
enum class SigmaPrecision { Fp64, Fp32 };
const char* sigma_precision_name(SigmaPrecision p);

// Row-correlation matrix (np.corrcoef of the rows, clipped to [-1, 1]); rows x rows, row-major.
// Returns false (and leaves sigma undefined) when a row has zero variance or a non-finite value.
bool jacobian_correlation(const float* J, int rows, size_t cols, std::vector<double>& sigma, std::string* why,
                          SigmaPrecision precision = SigmaPrecision::Fp64);

// Status degenerate, score -inf, with the reason.
JacobScore degenerate_score(std::string why);
// The score from Sigma_J's eigenvalues (ascending): S = -sum_i [ln(v_i + k) + 1/(v_i + k)], or degenerate.
JacobScore score_from_eigenvalues(std::vector<double> w, double k);
// Why row r of J makes Sigma_J undefined (flag 1: non-finite entry, 2: zero variance).
std::string degenerate_row_reason(int r, int flag);

// The eigenvalues (ascending) of the symmetric n x n matrix a (LAPACK dsyevd); false, with why, when
// the solver fails.
bool symmetric_eigenvalues(std::vector<double> a, int n, std::vector<double>& w, std::string* why);

// S = -sum_i [ln(v_i + k) + 1/(v_i + k)] over the eigenvalues v_i of Sigma_J (LAPACK dsyevd).
JacobScore jacob_cov_score(const float* J, int rows, size_t cols, double k = kJacobK,
                           SigmaPrecision precision = SigmaPrecision::Fp64);

}  // namespace naswot
