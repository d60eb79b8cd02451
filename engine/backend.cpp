// Backend selection by name.
#include "engine/backend.h"

#include "engine/error.h"

#ifdef NASWOT_HAVE_CUDA
#include "kernels/cuda/device_info.h"
#endif

namespace naswot {

void Device::download_many(const float* const* src, float* const* host, int n, size_t floats) {
  for (int i = 0; i < n; ++i) download(src[i], host[i], floats);
}

Device::Captured Device::capture(const std::function<void()>&) {
  fail("the " + name() + " backend runs ops at once: nothing to capture into a graph");
}

std::string describe_cuda_devices() {
#ifdef NASWOT_HAVE_CUDA
  return cuda::describe_devices();
#else
  return "this build has no CUDA backend (configured with NASWOT_CUDA=OFF or no CUDA toolkit found)";
#endif
}

int cuda_device_count() {
#ifdef NASWOT_HAVE_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

bool cuda_available() { return cuda_device_count() > 0; }

#ifndef NASWOT_HAVE_CUDA
std::unique_ptr<Backend> make_cuda_backend(const BackendOptions&) {
  fail("--backend cuda: " + describe_cuda_devices());
}
long cuda_device_allocations() { return 0; }
#endif

std::unique_ptr<Backend> make_backend(const std::string& name, const BackendOptions& o) {
  if (name == "cpu") return make_cpu_backend(o.threads, o.sigma_precision);
  if (name == "cuda") {
    if (!cuda_available()) fail("--backend cuda: " + describe_cuda_devices() + "; use --backend cpu");
    return make_cuda_backend(o);
  }
  if (name == "auto") return cuda_available() ? make_cuda_backend(o) : make_cpu_backend(o.threads, o.sigma_precision);
  fail("unknown backend '" + name + "' (expected cpu, cuda or auto)");
}

}  // namespace naswot
