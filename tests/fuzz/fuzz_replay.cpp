// Replays fuzz inputs through their targets without libFuzzer (any compiler): the CTest fuzz_replay
// runs the corpus in tests/fuzz/corpus/<target>/, seeds and the inputs of every bug found so far.
//   naswot_fuzz_replay CORPUS_ROOT          every target's folder under the root
//   naswot_fuzz_replay TARGET FILE|DIR...   the given inputs through one target
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NASWOT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(NASWOT_ASAN)
#include <sanitizer/common_interface_defs.h>
#endif

namespace fs = std::filesystem;
using naswot::fuzz::Target;

namespace {

// The input being replayed, named on stderr if it brings the process down (a failed check aborts; a
// sanitizer report ends the process through its death callback).
char current[4096];
void name_current() {
  const char head[] = "naswot fuzz: the failing input: ";
  (void)!write(2, head, sizeof head - 1);
  (void)!write(2, current, strnlen(current, sizeof current));
  (void)!write(2, "\n", 1);
}
void on_signal(int sig) {
  name_current();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

struct Count {
  size_t inputs = 0, accepted = 0;
};

Count replay(const Target& t, const fs::path& p) {
  std::vector<fs::path> files;
  if (fs::is_directory(p)) {
    for (const auto& e : fs::directory_iterator(p))
      if (e.is_regular_file()) files.push_back(e.path());
  } else {
    files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  Count c;
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::snprintf(current, sizeof current, "%s %s", t.name, f.c_str());
    c.accepted += naswot::fuzz::run_one(t, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++c.inputs;
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) std::signal(sig, on_signal);
#if defined(__SANITIZE_ADDRESS__) || defined(NASWOT_ASAN)
  __sanitizer_set_death_callback(name_current);
#endif
  if (argc == 2) {
    size_t total = 0;
    for (const Target& t : naswot::fuzz::targets()) {
      const fs::path dir = fs::path(argv[1]) / t.name;
      if (!fs::is_directory(dir)) {
        std::fprintf(stderr, "no corpus for target %s in %s\n", t.name, argv[1]);
        return 1;
      }
      const Count c = replay(t, dir);
      std::printf("%-14s %zu inputs, %zu accepted, %zu refused with an error\n", t.name, c.inputs, c.accepted,
                  c.inputs - c.accepted);
      total += c.inputs;
    }
    std::printf("all targets: %zu inputs, no bug\n", total);
    return 0;
  }
  const Target* t = argc > 2 ? naswot::fuzz::find_target(argv[1]) : nullptr;
  if (!t) {
    std::fprintf(stderr, "usage: naswot_fuzz_replay CORPUS_ROOT | TARGET FILE|DIR...\ntargets:\n");
    for (const Target& x : naswot::fuzz::targets()) std::fprintf(stderr, "  %-14s %s\n", x.name, x.what);
    return 2;
  }
  Count c;
  for (int i = 2; i < argc; ++i) {
    const Count k = replay(*t, argv[i]);
    c.inputs += k.inputs, c.accepted += k.accepted;
  }
  std::printf("%s: %zu inputs (%zu accepted), no bug\n", t->name, c.inputs, c.accepted);
  return 0;
}
