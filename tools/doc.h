// A command's output as a document: a title, facts, paragraphs and tables in order, printed as
// Markdown (for people), JSON (for scripts) or CSV (its tables) by --format.
#pragma once
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace naswot {

// A table cell: its Markdown text, and the number it stands for where it is one (JSON writes that,
// NaN as null), or a mean and a standard deviation ("91.61 ± 1.71": JSON and CSV give a column of
// such cells as two, "<column> mean" and "<column> std").
struct Cell {
  std::string text;
  bool is_number = false;
  double number = 0;
  bool has_std = false;
  double std = 0;
};
Cell cell(std::string text);
Cell cell(double v, int decimals);  // "%.<decimals>f"; NaN prints as nan
Cell cell(long v);
Cell cell_mean_std(double mean, double std, int decimals);
Cell missing();  // "–" in Markdown, null in JSON, empty in CSV

struct Table {
  std::string name;  // JSON key and CSV heading: a short identifier
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

enum class Format { Markdown, Json, Csv };
Format parse_format(const std::string& s);  // md | json | csv; throws naswot::Error otherwise

class Doc {
 public:
  // markdown_heading = false: the title is JSON's only (Markdown starts with the first block).
  explicit Doc(std::string title, bool markdown_heading = true)
      : title_(std::move(title)), heading_(markdown_heading) {}
  void fact(const std::string& key, const std::string& value) { facts_.emplace_back(key, value); }
  // A paragraph (Markdown and JSON's "notes"; CSV leaves it out).
  void text(const std::string& paragraph) { blocks_.push_back({paragraph, -1}); }
  Table& table(const std::string& name, std::vector<std::string> columns);
  // Markdown: "# title", facts as a list, then paragraphs and tables in order. JSON: one object
  // {title, facts, notes, tables: {name: [{column: value}, ...]}}. CSV: each table with a header
  // line, tables separated by a blank line and preceded by "# name" when there are several.
  void print(Format f, std::FILE* out = stdout) const;

 private:
  struct Block {
    std::string text;
    int table;  // index into tables_, or -1 for a paragraph
  };
  static bool spread_column(const Table& t, size_t c);
  static std::vector<std::string> flat_columns(const Table& t);
  static std::vector<Cell> flat_row(const Table& t, const std::vector<Cell>& row);
  std::string title_;
  bool heading_;
  std::vector<std::pair<std::string, std::string>> facts_;
  std::vector<Block> blocks_;
  std::vector<Table> tables_;
};

}  // namespace naswot
