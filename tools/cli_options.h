// The CLI's one option table: each option once (name, aliases, value, default, integer range, the
// commands that take it, help). Every subcommand's parser, its --help and the range checks come from it.
#pragma once
#include <string>
#include <vector>

namespace naswot::cli {

// The subcommands, as bits of Option::commands.
enum Command : unsigned {
  kScore = 1u << 0,
  kScoreSpace = 1u << 1,
  kMerge = 1u << 2,
  kExport = 1u << 3,
  kReport = 1u << 4,
  kSearch = 1u << 5,
  kCells = 1u << 6,
};
// The commands that score networks: their options are the scoring options (also the APIs').
constexpr unsigned kScoring = kScore | kScoreSpace | kSearch;

struct Option {
  std::string name;                  // --name (single letters also as -n)
  std::vector<std::string> aliases;  // other spellings that mean the same option (e.g. -o for --out)
  std::string value;                 // what the value is, for --help ("" = a flag without a value)
  std::string dflt;                  // the value when not given ("" = none)
  bool integer = false;              // the value must be an integer within [lo, hi]
  long lo = 0, hi = 0;
  unsigned commands = 0;  // Command bits
  std::string help;
};

struct CommandInfo {
  std::string name;
  Command bit;
  std::string usage;    // after "naswot "
  std::string summary;  // what it does, one paragraph
  bool positional;      // takes arguments that are not options (run databases)
};

const std::vector<Option>& options();
const std::vector<CommandInfo>& commands();
// The command called `name` (nullptr when there is none).
const CommandInfo* find_command(const std::string& name);
// The option that `spelling` (a name or an alias, without dashes) names for `cmd` (nullptr: none).
const Option* find_option(const std::string& spelling, Command cmd);
// `naswot CMD --help`: usage, summary and every option of the command with its default and range.
std::string command_help(const CommandInfo& c);

}  // namespace naswot::cli
