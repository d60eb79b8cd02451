// NAS-Bench-101 cells: MD5, the graph hash against the benchmark's test vectors, pruning and errors, the cell cache.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/graph.h"
#include "engine/io/md5.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "tests/test_util.h"

using namespace naswot;
using naswot::test::error_of;

TEST_CASE("MD5 (RFC 1321 test suite)") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(md5_hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890") ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("graph hash test vectors (docs/nb101.md)") {
  CHECK(md5_hex("(1, 0, -1)") == "3bb65a81afada4c50c2c4630873f0a79");
  CHECK(md5_hex("(0, 1, -2)") == "da7ed8fcf085d449b70116bd536a0344");
  CHECK(nb101::graph_hash(nb101::parse_cell("01/00", "input,output")) == "043721b9c7fe8c5fad811d47d83132ec");
  const nb101::Cell smallest = nb101::parse_cell("0100110/0010000/0001001/0000010/0000010/0000001/0000000",
                                                 "conv3x3,maxpool3x3,conv3x3,conv3x3,conv1x1");
  CHECK(nb101::graph_hash(smallest) == "00005c142e6f48ac74fdcf73e3439874");
  // The README's Inception-like cell and the isomorph the dataset stores hash alike.
  const auto user = nb101::parse_cell("0111010/0000001/0000001/0000100/0000001/0000001/0000000",
                                      "input,conv1x1,conv3x3,conv3x3,conv3x3,maxpool,output");
  const auto stored = nb101::parse_cell("0111100/0000001/0000001/0000001/0000010/0000001/0000000",
                                        "conv3x3,conv1x1,maxpool3x3,conv3x3,conv3x3");
  CHECK(nb101::graph_hash(user) == "28cfc7874f6d200472e1a9dcd8650aa0");
  CHECK(nb101::graph_hash(stored) == "28cfc7874f6d200472e1a9dcd8650aa0");
}

TEST_CASE("pruning removes vertices off every input-output path") {
  // Vertex 2 has no path to the output; vertex 3 is not reachable from the input.
  const auto c = nb101::make_cell({{0, 1, 1, 0, 0}, {0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}, {0, 0, 0, 0, 0}},
                                  {nb101::Input, nb101::Conv3x3, nb101::Conv1x1, nb101::MaxPool3x3, nb101::Output});
  CHECK(c.V == 3);
  CHECK(c.matrix_string() == "010/001/000");
  CHECK(c.ops_string() == "input,conv3x3-bn-relu,output");
  // More than 9 raw edges is fine if pruning brings it to 9 or fewer: 13 raw edges, 5 of them into
  // vertex 5, which cannot reach the output; 8 remain.
  const auto d = nb101::parse_cell("0111110/0000011/0000011/0000011/0000011/0000000/0000000",
                                   "conv3x3,conv3x3,conv3x3,conv3x3,conv3x3");
  CHECK(d.V == 6);
  CHECK(d.num_edges() == 8);
}

TEST_CASE("bad NAS-Bench-101 cells get clear errors") {
  auto err = [](const std::string& m, const std::string& ops) { return error_of([&] { nb101::parse_cell(m, ops); }); };
  CHECK(err("010/100/000", "conv3x3").find("not strictly upper-triangular") != std::string::npos);
  CHECK(err("010/001/000", "conv3x3,conv1x1").find("size mismatch") != std::string::npos);
  CHECK(err("01000000/00100000/00010000/00001000/00000100/00000010/00000001/00000000",
            "conv3x3,conv3x3,conv3x3,conv3x3,conv3x3,conv3x3")
            .find("8 vertices after pruning") != std::string::npos);
  CHECK(err("0100/0000/0001/0000", "conv3x3,conv3x3").find("disconnected") != std::string::npos);
  CHECK(err("010/001/000", "conv5x5").find("unknown NAS-Bench-101 op") != std::string::npos);
  CHECK(err("010/00/000", "conv3x3").find("not square") != std::string::npos);
  CHECK(err("0111111/0011111/0001111/0000111/0000011/0000001/0000000", "conv3x3,conv3x3,conv3x3,conv3x3,conv3x3")
            .find("21 edges after pruning") != std::string::npos);
}

TEST_CASE("NB101 networks: vertex channels and parameter counts (docs/nb101.md)") {
  const auto smallest = nb101::parse_cell("0100110/0010000/0001001/0000010/0000010/0000001/0000000",
                                          "conv3x3,maxpool3x3,conv3x3,conv3x3,conv1x1");
  CHECK(nb101::vertex_channels(16, 16, smallest) == std::vector<int>{16, 8, 8, 8, 8, 8, 16});
  const auto inception = nb101::parse_cell("0111100/0000001/0000001/0000001/0000010/0000001/0000000",
                                           "conv3x3,conv1x1,maxpool3x3,conv3x3,conv3x3");
  CHECK(nb101::vertex_channels(128, 128, inception) == std::vector<int>{128, 32, 32, 32, 32, 32, 128});
  CHECK(nb101::vertex_channels(128, 256, inception) == std::vector<int>{128, 64, 64, 64, 64, 64, 256});
  nb101::NetConfig bench;
  bench.stem = 128;
  bench.num_classes = 10;
  CHECK(nb101::build(smallest, bench).num_params() == 8555530);
  CHECK(nb101::build(inception, bench).num_params() == 2694282);
  CHECK(nb101::build(smallest).num_params() == 136129);  // NASWOT's scoring configuration
  const Graph g = nb101::build(nb101::parse_cell("01/00", "input,output"));
  CHECK(g.shape(g.output) == Shape{1, 1, 1});
}

TEST_CASE("NB101 index: ascending hashes, lookups, errors") {
  const auto& cells = nb101::indexed_cells();
  REQUIRE(long(cells.size()) == nb101::kNumCells);
  CHECK(cells.front().hash == "00005c142e6f48ac74fdcf73e3439874");  // the minimum hash (docs/nb101.md)
  bool ascending = true;
  for (size_t i = 1; i < cells.size(); ++i) ascending &= cells[i - 1].hash < cells[i].hash;
  CHECK(ascending);
  CHECK(nb101::resolve_index("00005c142e6f48ac74fdcf73e3439874") == 0);
  CHECK(nb101::resolve_index(cells[123456].hash) == 123456);
  CHECK(nb101::resolve_index("423623") == 423623);
  CHECK(nb101::graph_hash(cells[98765].cell) == cells[98765].hash);
  CHECK(error_of([] { nb101::resolve_index("ffffffffffffffffffffffffffffffff"); }).find("no NAS-Bench-101 cell") !=
        std::string::npos);
  CHECK(error_of([] { nb101::resolve_index("423624"); }).find("out of range") != std::string::npos);
  CHECK(error_of([] { nb101::resolve_index("00005C142E6F48AC74FDCF73E3439874"); }).find("neither") !=
        std::string::npos);
}

TEST_CASE("NB101: cells the reference port cannot score (docs/nb101.md)") {
  // input -> output edge, one conv vertex feeding the output: the in-place += breaks the backward.
  CHECK(nb101::hits_reference_inplace_bug(nb101::parse_cell("0101/0010/0001/0000", "conv3x3,conv1x1")));
  CHECK(nb101::hits_reference_inplace_bug(nb101::parse_cell("011/001/000", "conv1x1")));
  // A max-pool feeder works (its backward does not need its output); so do two feeders (concat copies)
  // and cells without the input -> output edge.
  CHECK(!nb101::hits_reference_inplace_bug(nb101::parse_cell("011/001/000", "maxpool3x3")));
  CHECK(!nb101::hits_reference_inplace_bug(nb101::parse_cell("0111/0001/0001/0000", "conv3x3,conv3x3")));
  CHECK(!nb101::hits_reference_inplace_bug(nb101::parse_cell("010/001/000", "conv3x3")));
  CHECK(!nb101::hits_reference_inplace_bug(nb101::parse_cell("01/00", "input,output")));
}

TEST_CASE("NB101 cell cache: round trip, and any damaged or malformed file is refused") {
  std::vector<nb101::HashedCell> cells;
  for (const auto& [m, ops] : {std::pair{"0100110/0010000/0001001/0000010/0000010/0000001/0000000",
                                         "conv3x3,maxpool3x3,conv3x3,conv3x3,conv1x1"},
                               std::pair{"0111100/0000001/0000001/0000001/0000010/0000001/0000000",
                                         "conv3x3,conv1x1,maxpool3x3,conv3x3,conv3x3"},
                               std::pair{"01/00", "input,output"}}) {
    const nb101::Cell c = nb101::parse_cell(m, ops);
    cells.push_back({nb101::graph_hash(c), c});
  }
  std::sort(cells.begin(), cells.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("naswot_cell_cache_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "cells.bin").string();
  auto write_file = [&](const std::string& content) { std::ofstream(path, std::ios::binary) << content; };
  REQUIRE(nb101::write_cell_cache(path, cells));
  const auto back = nb101::read_cell_cache(path);
  REQUIRE(back.size() == cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    CHECK(back[i].hash == cells[i].hash);
    CHECK(back[i].cell.V == cells[i].cell.V);
    CHECK(back[i].cell.adj == cells[i].cell.adj);
    CHECK(back[i].cell.labels == cells[i].cell.labels);
  }
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto refused = [&](const std::string& content) {
    write_file(content);
    return nb101::read_cell_cache(path).empty();
  };
  std::string flipped = bytes;
  flipped[40] ^= 1;  // inside the first cell: the checksum no longer matches
  CHECK(refused(flipped));
  CHECK(refused(bytes.substr(0, bytes.size() - 1)));  // truncated
  CHECK(refused(""));
  CHECK(refused("NASWOT-NB101-0\n" + bytes.substr(15)));  // another format version
  CHECK(nb101::read_cell_cache((dir / "missing.bin").string()).empty());
  std::vector<nb101::HashedCell> unsorted = {cells[1], cells[0]};  // the index order is by hash
  REQUIRE(nb101::write_cell_cache(path, unsorted));
  CHECK(nb101::read_cell_cache(path).empty());
  fs::remove_all(dir);
}
