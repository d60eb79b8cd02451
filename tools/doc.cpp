// Printing a Doc as Markdown, JSON or CSV (tools/doc.h).
#include "tools/doc.h"

#include <cmath>

#include "engine/error.h"
#include "engine/io/csv.h"

namespace naswot {
namespace {

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      o += '\\';
      o += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      o += b;
    } else {
      o += char(c);
    }
  }
  return o + "\"";
}

std::string json_value(const Cell& c) {
  if (!c.is_number) return json_string(c.text);
  if (!std::isfinite(c.number)) return "null";
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", c.number);
  return b;
}

std::string csv_value(const Cell& c) {
  return c.is_number && !std::isfinite(c.number) ? "" : csv_field(c.text);  // "": missing, or a NaN statistic
}

}  // namespace

Cell cell(std::string text) { return {std::move(text), false, 0}; }

Cell cell(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return {b, true, v};
}

Cell cell(long v) { return {std::to_string(v), true, double(v)}; }

Cell missing() { return {"–", true, std::nan("")}; }

Cell cell_mean_std(double mean, double std, int decimals) {
  char b[96];
  std::snprintf(b, sizeof b, "%.*f ± %.*f", decimals, mean, decimals, std);
  return {b, true, mean, true, std};
}

Format parse_format(const std::string& s) {
  if (s == "md") return Format::Markdown;
  if (s == "json") return Format::Json;
  if (s == "csv") return Format::Csv;
  fail("unknown --format '" + s + "' (expected md, json or csv)");
}

Table& Doc::table(const std::string& name, std::vector<std::string> columns) {
  tables_.push_back({name, std::move(columns), {}});
  blocks_.push_back({"", int(tables_.size()) - 1});
  return tables_.back();
}

// For JSON and CSV: the columns of t with every mean ± std column split in two, and a row's values.
std::vector<std::string> Doc::flat_columns(const Table& t) {
  std::vector<std::string> out;
  for (size_t c = 0; c < t.columns.size(); ++c)
    if (spread_column(t, c))
      out.push_back(t.columns[c] + " mean"), out.push_back(t.columns[c] + " std");
    else
      out.push_back(t.columns[c]);
  return out;
}

std::vector<Cell> Doc::flat_row(const Table& t, const std::vector<Cell>& row) {
  std::vector<Cell> out;
  for (size_t c = 0; c < row.size() && c < t.columns.size(); ++c) {
    const Cell& x = row[c];
    if (!spread_column(t, c)) {
      out.push_back(x);
    } else if (x.has_std) {
      for (const double v : {x.number, x.std}) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.6g", v);
        out.push_back({buf, true, v});
      }
    } else {
      out.push_back(x), out.push_back(missing());
    }
  }
  return out;
}

bool Doc::spread_column(const Table& t, size_t c) {
  for (const auto& row : t.rows)
    if (c < row.size() && row[c].has_std) return true;
  return false;
}

void Doc::print(Format f, std::FILE* out) const {
  if (f == Format::Markdown) {
    if (heading_) std::fprintf(out, "# %s\n\n", title_.c_str());
    for (const auto& [k, v] : facts_) std::fprintf(out, "- %s: %s\n", k.c_str(), v.c_str());
    bool first = facts_.empty();
    for (const Block& b : blocks_) {
      if (!first) std::fputc('\n', out);
      first = false;
      if (b.table < 0) {
        std::fprintf(out, "%s\n", b.text.c_str());
        continue;
      }
      const Table& t = tables_[size_t(b.table)];
      std::string line = "|", rule = "|";
      for (const std::string& c : t.columns) line += " " + c + " |", rule += "---|";
      std::fprintf(out, "%s\n%s\n", line.c_str(), rule.c_str());
      for (const auto& row : t.rows) {
        line = "|";
        for (const Cell& c : row) line += " " + c.text + " |";
        std::fprintf(out, "%s\n", line.c_str());
      }
    }
    return;
  }
  if (f == Format::Csv) {
    for (size_t i = 0; i < tables_.size(); ++i) {
      const Table& t = tables_[i];
      if (tables_.size() > 1) std::fprintf(out, "%s# %s\n", i ? "\n" : "", t.name.c_str());
      const std::vector<std::string> columns = flat_columns(t);
      for (size_t c = 0; c < columns.size(); ++c)
        std::fprintf(out, "%s%s", c ? "," : "", csv_field(columns[c]).c_str());
      std::fputc('\n', out);
      for (const auto& r : t.rows) {
        const std::vector<Cell> row = flat_row(t, r);
        for (size_t c = 0; c < row.size(); ++c) std::fprintf(out, "%s%s", c ? "," : "", csv_value(row[c]).c_str());
        std::fputc('\n', out);
      }
    }
    return;
  }
  std::string o = "{\"title\": " + json_string(title_) + ", \"facts\": {";
  for (size_t i = 0; i < facts_.size(); ++i)
    o += (i ? ", " : "") + json_string(facts_[i].first) + ": " + json_string(facts_[i].second);
  o += "}, \"notes\": [";
  bool first = true;
  for (const Block& b : blocks_)
    if (b.table < 0) o += (first ? "" : ", ") + json_string(b.text), first = false;
  o += "], \"tables\": {";
  for (size_t i = 0; i < tables_.size(); ++i) {
    const Table& t = tables_[i];
    o += (i ? ", " : "") + json_string(t.name) + ": [";
    const std::vector<std::string> columns = flat_columns(t);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      o += r ? ", {" : "{";
      const std::vector<Cell> row = flat_row(t, t.rows[r]);
      for (size_t c = 0; c < row.size() && c < columns.size(); ++c)
        o += (c ? ", " : "") + json_string(columns[c]) + ": " + json_value(row[c]);
      o += "}";
    }
    o += "]";
  }
  o += "}}\n";
  std::fputs(o.c_str(), out);
}

}  // namespace naswot
