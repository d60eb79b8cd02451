// The naswot subcommands (each parses its own options from argv[2..]).
#pragma once

namespace naswot {

int cmd_score(int argc, char** argv);
int cmd_score_space(int argc, char** argv);
int cmd_merge(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_search(int argc, char** argv);
int cmd_cells(int argc, char** argv);

}  // namespace naswot
