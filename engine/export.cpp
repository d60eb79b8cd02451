// Writes the oracle export: a line-based manifest plus raw little-endian float32 arrays.
#include "engine/export.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/error.h"

namespace naswot {
namespace {

void write_f32(const std::filesystem::path& p, const float* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  if (!f || !f.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(float))))
    fail("cannot write " + p.string());
}

}  // namespace

void write_export(const std::string& dir, const ExportInfo& info, const Graph& g, const std::vector<float>& params,
                  const std::vector<float>& batch_nchw, int batch, const NetworkScore& s) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create export directory " + dir + ": " + ec.message());
  const Shape in = g.shape(0);
  std::ofstream m(fs::path(dir) / "meta.txt");
  if (!m) fail("cannot write " + dir + "/meta.txt");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", s.score.score);
  m << "naswot-export 1\n"
    << "space " << info.space << "\n"
    << "arch " << info.arch << "\n"
    << "index " << info.index << "\n"
    << "seed " << info.seed << "\n"
    << "num_classes " << info.num_classes << "\n"
    << "batch " << batch << " " << in.c << " " << in.h << " " << in.w << "\n"
    << "score " << buf << "\n"
    << "status " << status_name(s.score.status) << "\n";
  for (const Param& p : g.params) {
    m << "param " << p.name << " " << p.offset;
    for (size_t i = 0; i < p.dims.size(); ++i) m << (i ? "x" : " ") << p.dims[i];
    m << "\n";
  }
  write_f32(fs::path(dir) / "params.f32", params.data(), params.size());
  write_f32(fs::path(dir) / "batch.f32", batch_nchw.data(), batch_nchw.size());
  write_f32(fs::path(dir) / "jacobian.f32", s.jac.jacobian.data(), s.jac.jacobian.size());
  write_f32(fs::path(dir) / "output.f32", s.jac.output.data(), s.jac.output.size());
  std::ofstream bits(fs::path(dir) / "relu_masks.bin", std::ios::binary);
  size_t off = 0;
  for (const auto& mk : s.jac.relu_masks) {
    m << "relu " << mk.name << " " << off << " " << mk.shape.c << "x" << mk.shape.h << "x" << mk.shape.w << "\n";
    bits.write(reinterpret_cast<const char*>(mk.bits.data()), std::streamsize(mk.bits.size()));
    off += mk.bits.size();
  }
  if (!bits) fail("cannot write " + dir + "/relu_masks.bin");
}

}  // namespace naswot
