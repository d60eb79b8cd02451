// Sigma_J by centring, normalising and a float64 (or float32) SYRK; spectrum by the symmetric solver dsyevd.
#include "engine/score_jacob.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>

extern "C" void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
                        double* work, const int* lwork, int* iwork, const int* liwork, int* info);

namespace naswot {

const char* status_name(ScoreStatus s) {
  switch (s) {
    case ScoreStatus::Ok: return "ok";
    case ScoreStatus::Degenerate: return "degenerate";
    case ScoreStatus::ReferenceNan: return "reference_nan";
  }
  return "?";
}

bool parse_status(const std::string& s, ScoreStatus& out) {
  for (ScoreStatus k : {ScoreStatus::Ok, ScoreStatus::Degenerate, ScoreStatus::ReferenceNan})
    if (s == status_name(k)) return out = k, true;
  return false;
}
const char* sigma_precision_name(SigmaPrecision p) { return p == SigmaPrecision::Fp32 ? "fp32" : "fp64"; }

std::string degenerate_row_reason(int r, int flag) {
  if (flag == 1) return "non-finite Jacobian entry in row " + std::to_string(r);
  return "Jacobian row " + std::to_string(r) + " has zero variance (output independent of input?)";
}

JacobScore degenerate_score(std::string why) {
  JacobScore out;
  out.status = ScoreStatus::Degenerate;
  out.score = -std::numeric_limits<double>::infinity();
  out.reason = std::move(why);
  return out;
}

JacobScore score_from_eigenvalues(std::vector<double> w, double k) {
  JacobScore out;
  double s = 0;
  for (double v : w) {
    const double t = v + k;
    if (!(t > 0)) return degenerate_score("eigenvalue " + std::to_string(v) + " <= -k: log undefined");
    s += std::log(t) + 1.0 / t;
  }
  out.eigenvalues = std::move(w);
  if (!std::isfinite(s)) return degenerate_score("non-finite score");
  out.score = -s;
  return out;
}

bool jacobian_correlation(const float* J, int rows, size_t cols, std::vector<double>& sigma, std::string* why,
                          SigmaPrecision precision) {
  std::vector<double> a(size_t(rows) * cols);
  for (int r = 0; r < rows; ++r) {
    const float* src = J + size_t(r) * cols;
    double* dst = a.data() + size_t(r) * cols;
    double s = 0;
    for (size_t c = 0; c < cols; ++c) {
      if (!std::isfinite(src[c])) {
        if (why) *why = degenerate_row_reason(r, 1);
        return false;
      }
      s += src[c];
    }
    const double mean = s / double(cols);
    double ss = 0;
    for (size_t c = 0; c < cols; ++c) {
      dst[c] = double(src[c]) - mean;
      ss += dst[c] * dst[c];
    }
    if (!(ss > 0)) {
      if (why) *why = degenerate_row_reason(r, 2);
      return false;
    }
    const double inv = 1.0 / std::sqrt(ss);
    for (size_t c = 0; c < cols; ++c) dst[c] *= inv;
  }
  sigma.assign(size_t(rows) * rows, 0.0);
  if (precision == SigmaPrecision::Fp32) {
    const std::vector<float> af(a.begin(), a.end());
    std::vector<float> s32(size_t(rows) * rows, 0.f);
    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, rows, int(cols), 1.f, af.data(), int(cols), 0.f, s32.data(),
                rows);
    std::copy(s32.begin(), s32.end(), sigma.begin());
  } else {
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, rows, int(cols), 1.0, a.data(), int(cols), 0.0, sigma.data(),
                rows);
  }
  for (int i = 0; i < rows; ++i)
    for (int j = i; j < rows; ++j) {
      const double v = std::clamp(sigma[size_t(i) * rows + j], -1.0, 1.0);
      sigma[size_t(i) * rows + j] = sigma[size_t(j) * rows + i] = v;
    }
  return true;
}

bool symmetric_eigenvalues(std::vector<double> a, int n, std::vector<double>& w, std::string* why) {
  // dsyevd on the symmetric matrix (row-major = column-major here by symmetry).
  const char jobz = 'N', uplo = 'U';
  int info = 0, lwork = -1, liwork = -1, iwq = 0;
  double wq = 0;
  w.assign(static_cast<size_t>(n), 0.0);
  dsyevd_(&jobz, &uplo, &n, a.data(), &n, w.data(), &wq, &lwork, &iwq, &liwork, &info);
  lwork = int(wq);
  liwork = std::max(1, iwq);
  std::vector<double> work(static_cast<size_t>(std::max(1, lwork)));
  std::vector<int> iwork(static_cast<size_t>(liwork));
  dsyevd_(&jobz, &uplo, &n, a.data(), &n, w.data(), work.data(), &lwork, iwork.data(), &liwork, &info);
  if (info != 0 && why) *why = "dsyevd failed (info " + std::to_string(info) + ")";
  return info == 0;
}

JacobScore jacob_cov_score(const float* J, int rows, size_t cols, double k, SigmaPrecision precision) {
  std::vector<double> sigma, w;
  std::string why;
  if (!jacobian_correlation(J, rows, cols, sigma, &why, precision)) return degenerate_score(why);
  if (!symmetric_eigenvalues(std::move(sigma), rows, w, &why)) return degenerate_score(why);
  return score_from_eigenvalues(std::move(w), k);
}

}  // namespace naswot
