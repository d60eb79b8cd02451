// Progress on stderr for long runs: a bar on a terminal, a line every few seconds otherwise.
#pragma once
#include <chrono>
#include <string>

namespace naswot {

class Progress {
 public:
  Progress(long total, long already_done, std::string what);
  void tick();    // one more item done
  void finish();  // final line

 private:
  void print(bool final);
  long total_, done_, start_done_;
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace naswot
