// Minimal command-line parsing: one subcommand, --key value options (repeatable), --flags.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

namespace naswot::cli {

struct Args {
  std::map<std::string, std::vector<std::string>> opts;
  std::set<std::string> flags;
  std::vector<std::string> positional;  // only when parse() allows them

  bool has(const std::string& k) const { return opts.count(k) || flags.count(k); }
  std::string get(const std::string& k, const std::string& dflt = "") const;
  long get_int(const std::string& k, long dflt, long lo, long hi) const;
  std::vector<std::string> all(const std::string& k) const;
};

// Throws naswot::Error for an unknown option, a missing value, or a positional argument when none are allowed.
Args parse(int argc, char** argv, int first, const std::set<std::string>& valued, const std::set<std::string>& flags,
           bool allow_positional = false);

// "1,5,20-30,all" -> indices; other pieces are returned as-is (arch strings) in order.
std::vector<std::string> expand_arch_list(const std::vector<std::string>& specs, int space_size);

}  // namespace naswot::cli
