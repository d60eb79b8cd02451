// Rate and ETA from the items done in this process (resumed items do not inflate the rate).
#include "engine/io/progress.h"

#include <unistd.h>

#include <cstdio>

namespace naswot {

Progress::Progress(long total, long already_done, std::string what)
    : total_(total),
      done_(already_done),
      start_done_(already_done),
      what_(std::move(what)),
      tty_(isatty(2)),
      t0_(std::chrono::steady_clock::now()),
      last_(t0_) {}

void Progress::tick() {
  ++done_;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if ((tty_ && since >= 0.2) || (!tty_ && since >= 10.0)) {
    last_ = now;
    print(false);
  }
}

void Progress::finish() { print(true); }

void Progress::print(bool final) {
  const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  const double rate = el > 0 ? double(done_ - start_done_) / el : 0;
  const double eta = rate > 0 ? double(total_ - done_) / rate : 0;
  const double frac = total_ > 0 ? double(done_) / double(total_) : 1;
  char eta_s[32];
  std::snprintf(eta_s, sizeof eta_s, "%dh%02dm%02ds", int(eta) / 3600, int(eta) / 60 % 60, int(eta) % 60);
  if (tty_) {
    const int width = 30, fill = int(frac * width);
    std::fprintf(stderr, "\r%s [%.*s%*s] %ld/%ld %5.1f%% %.2f/s ETA %s ", what_.c_str(), fill,
                 "##############################", width - fill, "", done_, total_, 100 * frac, rate, eta_s);
    if (final) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "%s: %ld/%ld (%.1f%%) %.2f/s ETA %s\n", what_.c_str(), done_, total_, 100 * frac, rate, eta_s);
  }
  std::fflush(stderr);
}

}  // namespace naswot
