// The CLI's option table: every command's parser and --help come from it, aliases mean their option,
// integers are checked against the table's ranges when parsed.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/test_util.h"
#include "tools/cli_args.h"
#include "tools/doc.h"

using namespace naswot;
using naswot::test::error_of;

namespace {

cli::Args parse(std::vector<std::string> args, cli::Command cmd) {
  args.insert(args.begin(), {"naswot", "cmd"});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  return cli::parse(int(argv.size()), argv.data(), cmd);
}

}  // namespace

TEST_CASE("every command's --help lists exactly the options the table gives it") {
  for (const cli::CommandInfo& c : cli::commands()) {
    CAPTURE(c.name);
    const std::string help = cli::command_help(c);
    CHECK(help.rfind("Usage: naswot " + c.name, 0) == 0);
    for (const cli::Option& o : cli::options()) {
      CAPTURE(o.name);
      const std::string spelled = (o.name.size() == 1 ? "\n  -" : "\n  --") + o.name + " ";
      const bool listed = help.find(spelled) != std::string::npos ||
                          help.find(spelled.substr(0, spelled.size() - 1) + ",") != std::string::npos;
      CHECK(listed == bool(o.commands & c.bit));
    }
  }
}

TEST_CASE("the option table: one spelling per option, aliases and ranges that parse") {
  std::vector<std::string> seen;
  for (const cli::Option& o : cli::options()) {
    CAPTURE(o.name);
    for (const std::string& s : seen) CHECK(s != o.name);
    for (const std::string& a : o.aliases) CHECK(std::find(seen.begin(), seen.end(), a) == seen.end());
    seen.push_back(o.name);
    seen.insert(seen.end(), o.aliases.begin(), o.aliases.end());
    CHECK(o.commands != 0);
    CHECK_FALSE(o.help.empty());
    if (o.integer) {
      CHECK(o.lo <= o.hi);
      // A numeric default lies within the range (some defaults are the space's, said in words).
      if (!o.dflt.empty() && o.dflt.find_first_not_of("0123456789") == std::string::npos)
        CHECK((std::stol(o.dflt) >= o.lo && std::stol(o.dflt) <= o.hi));
    }
  }
}

TEST_CASE("parsing: aliases, defaults, ranges and what a command does not take") {
  CHECK(parse({"a.db", "-o", "x.db"}, cli::kMerge).get("out") == "x.db");
  CHECK(parse({"a.db", "--out=x.db"}, cli::kMerge).get("out") == "x.db");
  CHECK(parse({}, cli::kScore).get_int("batch") == 128);  // the table's default
  CHECK(parse({"--batch", "64"}, cli::kScore).get_int("batch") == 64);
  CHECK(parse({}, cli::kScore).given("dataset").empty());  // not given, though the table has a default
  CHECK(parse({}, cli::kScore).get("dataset") == "cifar10");
  CHECK(error_of([] {
          parse({"--batch", "1"}, cli::kScore);
        }).find("--batch 1 is out of range [2, 65536]") != std::string::npos);
  CHECK(error_of([] {
          parse({"--batch", "12x"}, cli::kScore);
        }).find("--batch expects an integer") != std::string::npos);
  CHECK(error_of([] { parse({"--algo", "rea"}, cli::kScore); }).find("unknown option '--algo'") != std::string::npos);
  CHECK(error_of([] { parse({"a.db"}, cli::kScore); }).find("unexpected argument 'a.db'") != std::string::npos);
  CHECK(error_of([] { parse({"--csv=1", "a.db"}, cli::kExport); }).find("takes no value") != std::string::npos);
  CHECK(error_of([] { parse({"--seed"}, cli::kScore); }).find("needs a value") != std::string::npos);
  CHECK(parse({"r.db", "--csv"}, cli::kExport).has("csv"));
}

TEST_CASE("output documents: Markdown, JSON and CSV of the same tables") {
  Doc d("t");
  d.fact("k", "v \"q\"");
  d.text("note");
  Table& t = d.table("x", {"name", "value", "acc"});
  t.rows.push_back({cell("a,b"), cell(0.5, 2), cell_mean_std(91.6, 1.7, 2)});
  t.rows.push_back({cell("c"), cell(std::nan(""), 4), missing()});
  const auto print = [&](Format f) {
    char* buf = nullptr;
    size_t n = 0;
    std::FILE* out = open_memstream(&buf, &n);
    d.print(f, out);
    std::fclose(out);
    std::string s(buf, n);
    std::free(buf);
    return s;
  };
  CHECK(print(Format::Markdown) ==
        "# t\n\n- k: v \"q\"\n\nnote\n\n| name | value | acc |\n|---|---|---|\n| a,b | 0.50 | 91.60 ± 1.70 |\n"
        "| c | nan | – |\n");
  CHECK(print(Format::Json) ==
        "{\"title\": \"t\", \"facts\": {\"k\": \"v \\\"q\\\"\"}, \"notes\": [\"note\"], \"tables\": {\"x\": ["
        "{\"name\": \"a,b\", \"value\": 0.5, \"acc mean\": 91.599999999999994, \"acc std\": 1.7}, "
        "{\"name\": \"c\", \"value\": null, \"acc mean\": null, \"acc std\": null}]}}\n");
  CHECK(print(Format::Csv) == "name,value,acc mean,acc std\n\"a,b\",0.50,91.6,1.7\nc,,,\n");
  CHECK(test::error_of([] { parse_format("xml"); }).find("unknown --format 'xml'") != std::string::npos);
}
