// Option parsing and architecture-list expansion for the naswot CLI.
#include "tools/cli_args.h"

#include "engine/error.h"

namespace naswot::cli {

namespace {

const Option& option(const std::string& k, Command cmd) {
  const Option* o = find_option(k, cmd);
  if (!o) fail("internal error: option --" + k + " is not in the option table for this command");
  return *o;
}

long to_int(const std::string& k, const std::string& v, long lo, long hi) {
  size_t pos = 0;
  long x = 0;
  try {
    x = std::stol(v, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos == 0 || pos != v.size()) fail("--" + k + " expects an integer, got '" + v + "'");
  if (x < lo || x > hi)
    fail("--" + k + " " + v + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

}  // namespace

std::string Args::get(const std::string& k) const { return get(k, option(k, cmd).dflt); }

std::string Args::get(const std::string& k, const std::string& dflt) const {
  auto it = opts.find(k);
  return it == opts.end() ? dflt : it->second.back();
}

long Args::get_int(const std::string& k) const {
  const Option& o = option(k, cmd);
  return get_int(k, o.dflt.empty() ? 0 : to_int(k, o.dflt, o.lo, o.hi));
}

long Args::get_int(const std::string& k, long dflt) const {
  const Option& o = option(k, cmd);
  return get_int(k, dflt, o.lo, o.hi);
}

long Args::get_int(const std::string& k, long dflt, long lo, long hi) const {
  auto it = opts.find(k);
  return it == opts.end() ? dflt : to_int(k, it->second.back(), lo, hi);
}

std::vector<std::string> Args::all(const std::string& k) const {
  auto it = opts.find(k);
  return it == opts.end() ? std::vector<std::string>{} : it->second;
}

Args parse(int argc, char** argv, Command cmd) {
  Args a;
  a.cmd = cmd;
  bool positional_ok = false;
  for (const CommandInfo& c : commands())
    if (c.bit == cmd) positional_ok = c.positional;
  for (int i = 2; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0 && !(s.size() == 2 && s[0] == '-')) {
      if (!positional_ok) fail("unexpected argument '" + s + "'");
      a.positional.push_back(s);
      continue;
    }
    std::string key = s.substr(s[1] == '-' ? 2 : 1), val;
    const size_t eq = key.find('=');
    const bool inline_val = eq != std::string::npos;
    if (inline_val) {
      val = key.substr(eq + 1);
      key = key.substr(0, eq);
    }
    const Option* o = find_option(key, cmd);
    if (!o) fail("unknown option '" + s + "' (see naswot " + std::string(argv[1]) + " --help)");
    if (o->value.empty()) {
      if (inline_val) fail("option --" + o->name + " takes no value");
      a.flags.insert(o->name);
      continue;
    }
    if (!inline_val) {
      if (i + 1 >= argc) fail("option --" + o->name + " needs a value");
      val = argv[++i];
    }
    if (o->integer) to_int(o->name, val, o->lo, o->hi);  // checked now, with the table's range
    a.opts[o->name].push_back(val);
  }
  return a;
}

std::vector<std::string> expand_arch_list(const std::vector<std::string>& specs, int space_size) {
  std::vector<std::string> out;
  for (const std::string& spec : specs) {
    size_t start = 0;
    for (;;) {
      const size_t comma = spec.find(',', start);
      const std::string piece = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      const size_t dash = piece.find('-');
      if (piece == "all") {
        for (int i = 0; i < space_size; ++i) out.push_back(std::to_string(i));
      } else if (dash != std::string::npos && dash > 0 && piece.find_first_not_of("0123456789-") == std::string::npos) {
        const std::string lo_s = piece.substr(0, dash), hi_s = piece.substr(dash + 1);
        if (hi_s.empty() || hi_s.find('-') != std::string::npos || lo_s.size() > 9 || hi_s.size() > 9)
          fail("malformed index range '" + piece + "' (expected A-B)");
        const long lo = std::stol(lo_s), hi = std::stol(hi_s);
        if (lo > hi) fail("empty index range '" + piece + "'");
        if (hi >= space_size)
          fail("index range '" + piece + "' exceeds the space (" + std::to_string(space_size) + ")");
        for (long i = lo; i <= hi; ++i) out.push_back(std::to_string(i));
      } else {
        out.push_back(piece);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace naswot::cli
