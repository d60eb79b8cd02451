// Scores architectures through the installed C++ interface: consumer_cpp "key=value ..." ARCH...
// Prints index, arch, score (all digits) and status per line; exit 1 with the message on an error.
#include <cstdio>
#include <map>
#include <naswot/naswot.hpp>
#include <sstream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  std::map<std::string, std::string> options;
  std::istringstream in(argv[1]);
  for (std::string kv; in >> kv;) options[kv.substr(0, kv.find('='))] = kv.substr(kv.find('=') + 1);
  try {
    naswot::Scorer scorer(options);
    for (int i = 2; i < argc; ++i) {
      const naswot::Result r = scorer.score(std::string(argv[i]));
      std::printf("%ld\t%s\t%.17g\t%s\n", r.index, r.arch.c_str(), r.score, r.status.c_str());
    }
  } catch (const naswot::Error& e) {
    std::fprintf(stderr, "consumer_cpp: %s\n", e.what());
    return 1;
  }
  return 0;
}
