// NAS-Bench-201 tables from the data directory (accuracies, latencies), indexed by benchmark index.
#pragma once
#include <string>
#include <vector>

#include "engine/io/csv.h"

namespace naswot::nb201 {

using AccuracyTable = IndexedTable;  // [index][column]: accuracies after index,arch (e.g. c10_test_200)

// Reads a CSV with header index,arch,<columns>; checks 15,625 rows whose arch strings match this index
// order. `what` names the table in errors.
AccuracyTable load_table(const std::string& path, const std::string& what);
// <dir>/nb201/nb201_accuracy.csv
AccuracyTable load_accuracy_table(const std::string& data_dir);
// <dir>/nb201/nb201_latency_ms.csv: measured latency (ms) per device column (HW-NAS-Bench, HELP).
AccuracyTable load_latency_table(const std::string& data_dir);

}  // namespace naswot::nb201
