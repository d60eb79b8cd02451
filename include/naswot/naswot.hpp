// naswot's public C++ interface: score untrained networks of NAS-Bench-201, NAS-Bench-101 and
// NATS-Bench SSS by the NASWOT scores, from a program that links naswot::naswot (libnaswot).
#pragma once
#include <map>
#include <memory>
#include <string>

#include "naswot/error.hpp"

namespace naswot {

struct Result {
  long index = -1;     // in the space's benchmark order
  std::string arch;    // NB201 arch string, SSS channels, NB101 "hash matrix ops"
  double score = 0;    // higher is better; -inf when degenerate, NaN when reference_nan
  std::string status;  // ok | degenerate | reference_nan
  std::string reason;  // why, when not ok
  double seconds = 0;  // scoring time
  // Every score of the configuration by name (score "grad_norm,snip,synflow": three), the first being
  // `score`; their statuses likewise.
  std::map<std::string, double> scores;
  std::map<std::string, std::string> statuses;
};

// One scoring configuration (data, batch, weights' seed, backend and its buffers), made once; then
// one call per architecture. A Scorer is used by one thread at a time; Scorers in different threads
// are independent. Scores equal the CLI's (naswot score) bit for bit for the same options.
class Scorer {
 public:
  // Options as the CLI's scoring options, without dashes: space (nb201 | nb101 | nats-sss), batch,
  // seed, augment, dataset, sampler, init, data (directory; default $NASWOT_DATA), num-classes, score
  // (jacob_cov | hamming | proxies, several joined by commas), relu-sites, backend (cpu | cuda | auto), threads,
  // precision, sigma-solver, sigma-precision, conv-kernels, nb101-inplace, fusion, devices. Unknown keys and bad
  // values throw naswot::Error.
  explicit Scorer(const std::map<std::string, std::string>& options = {});
  ~Scorer();
  Scorer(Scorer&&) noexcept;
  Scorer& operator=(Scorer&&) noexcept;

  // An architecture as --arch takes it: an index, an NB201 arch string, an NB101 graph hash, SSS
  // channels such as 8:16:24:32:64.
  Result score(const std::string& arch);
  Result score(long index);
  long space_size() const;
  std::string describe() const;  // the configuration, as the CLI's banner

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* version();

}  // namespace naswot
