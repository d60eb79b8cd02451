// Writes the oracle export: a line-based manifest plus raw little-endian arrays.
#include "engine/io/export.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/error.h"

namespace naswot {
namespace {

template <class T>
void write_raw(const std::filesystem::path& p, const T* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  if (!f || !f.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(T))))
    fail("cannot write " + p.string());
}

}  // namespace

void write_f32(const std::string& path, const std::vector<float>& v) { write_raw(path, v.data(), v.size()); }

void write_export(const std::string& dir, const ExportInfo& info, const Graph& g, const std::vector<float>& params,
                  const std::vector<float>& batch_nchw, int batch, const JacobianResult* jac, const HammingResult* ham,
                  const WeightGradients* wg, const std::vector<int64_t>& relu_weight_by_node) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create export directory " + dir + ": " + ec.message());
  const Shape in = g.shape(0);
  std::ofstream m(fs::path(dir) / "meta.txt");
  if (!m) fail("cannot write " + dir + "/meta.txt");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", info.score);
  m << "naswot-export 1\n"
    << "space " << info.space << "\n"
    << "arch " << info.arch << "\n"
    << "index " << info.index << "\n"
    << "seed " << info.seed << "\n"
    << "num_classes " << info.num_classes << "\n"
    << "batch " << batch << " " << in.c << " " << in.h << " " << in.w << "\n"
    << "score_kind " << info.score_kind << "\n"
    << "sampler " << info.sampler << "\n"
    << "init " << info.init << "\n"
    << "dataset " << info.dataset << "\n"
    << "images";
  for (int i : info.images) m << " " << i;
  m << "\n";
  if (!info.labels.empty()) {
    m << "labels";
    for (int l : info.labels) m << " " << l;
    m << "\n";
  }
  if (!info.relu_sites.empty()) m << "relu_sites " << info.relu_sites << "\n";
  m << "score " << buf << "\n"
    << "status " << info.status << "\n";
  for (const Param& p : g.params) {
    m << "param " << p.name << " " << p.offset;
    for (size_t i = 0; i < p.dims.size(); ++i) m << (i ? "x" : " ") << p.dims[i];
    m << "\n";
  }
  write_raw(fs::path(dir) / "params.f32", params.data(), params.size());
  write_raw(fs::path(dir) / "batch.f32", batch_nchw.data(), batch_nchw.size());
  static const std::vector<ReluMask> kNone;
  const std::vector<ReluMask>& masks = jac ? jac->relu_masks : ham ? ham->relu_masks : wg ? wg->relu_masks : kNone;
  std::ofstream bits(fs::path(dir) / "relu_masks.bin", std::ios::binary);
  size_t off = 0;
  for (const ReluMask& mk : masks) {
    int64_t w = 0;
    for (size_t v = 0; v < g.nodes.size(); ++v)
      if (has_trait(g.nodes[v].op, kReLUSite) && g.nodes[v].name == mk.name) w = relu_weight_by_node[v];
    m << "relu " << mk.name << " " << off << " " << mk.shape.c << "x" << mk.shape.h << "x" << mk.shape.w << " " << w
      << "\n";
    bits.write(reinterpret_cast<const char*>(mk.bits.data()), std::streamsize(mk.bits.size()));
    off += mk.bits.size();
  }
  if (!bits) fail("cannot write " + dir + "/relu_masks.bin");
  const std::vector<PoolArgmax>* pools = jac ? &jac->pool_argmax : wg ? &wg->pool_argmax : nullptr;
  if (pools && !pools->empty()) {
    std::ofstream pa(fs::path(dir) / "maxpool_argmax.i32", std::ios::binary);
    size_t poff = 0;
    for (const PoolArgmax& p : *pools) {
      m << "maxpool " << p.name << " " << poff << " " << p.in.c << "x" << p.in.h << "x" << p.in.w << " " << p.out.c
        << "x" << p.out.h << "x" << p.out.w << " " << p.k << " " << p.stride << " " << p.pad << "\n";
      pa.write(reinterpret_cast<const char*>(p.index.data()), std::streamsize(p.index.size() * sizeof(int32_t)));
      poff += p.index.size();
    }
    if (!pa) fail("cannot write " + dir + "/maxpool_argmax.i32");
  }
  if (jac) {
    write_raw(fs::path(dir) / "jacobian.f32", jac->jacobian.data(), jac->jacobian.size());
    write_raw(fs::path(dir) / "output.f32", jac->output.data(), jac->output.size());
  }
  if (ham) write_raw(fs::path(dir) / "khamming.i64", ham->K.data(), ham->K.size());
  if (wg) {
    write_raw(fs::path(dir) / "grads.f32", wg->grads.data(), wg->grads.size());
    write_raw(fs::path(dir) / "output.f32", wg->output.data(), wg->output.size());
  }
}

}  // namespace naswot
