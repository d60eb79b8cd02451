// Command-line parsing from the option table (tools/cli_options.h): one subcommand, --key value
// options (repeatable), flags, and run databases as positional arguments where the command takes them.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/cli_options.h"

namespace naswot::cli {

struct Args {
  Command cmd = kScore;
  std::map<std::string, std::vector<std::string>> opts;  // by option name (aliases resolved)
  std::set<std::string> flags;
  std::vector<std::string> positional;  // only for commands that take them

  bool has(const std::string& k) const { return opts.count(k) || flags.count(k); }
  std::string get(const std::string& k) const;  // the value given last, else the table's default
  std::string get(const std::string& k, const std::string& dflt) const;  // ... else dflt
  std::string given(const std::string& k) const { return get(k, ""); }   // "" when not given
  // Integers were checked against the table's range when parsed; dflt: when not given (the table's
  // default unless passed); lo, hi: a narrower range known only now (e.g. the space's size).
  long get_int(const std::string& k) const;
  long get_int(const std::string& k, long dflt) const;
  long get_int(const std::string& k, long dflt, long lo, long hi) const;
  std::vector<std::string> all(const std::string& k) const;
};

// Throws naswot::Error for an option the command does not take, a missing value, an integer that is
// malformed or out of the table's range, or a positional argument where the command takes none.
Args parse(int argc, char** argv, Command cmd);

// "1,5,20-30,all" -> indices; other pieces are returned as-is (arch strings) in order.
std::vector<std::string> expand_arch_list(const std::vector<std::string>& specs, int space_size);

}  // namespace naswot::cli
