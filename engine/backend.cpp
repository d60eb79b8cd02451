// Backend selection by name.
#include "engine/backend.h"

#include "engine/error.h"

#ifdef NASWOT_HAVE_CUDA
#include "kernels/cuda/device_info.h"
#endif

namespace naswot {

std::string describe_cuda_devices() {
#ifdef NASWOT_HAVE_CUDA
  return cuda::describe_devices();
#else
  return "this build has no CUDA backend (configured with NASWOT_CUDA=OFF or no CUDA toolkit found)";
#endif
}

std::unique_ptr<Backend> make_backend(const std::string& name, int threads) {
  // The CUDA backend's ops are the subject of their own issue; until it lands, 'auto' means the CPU
  // and 'cuda' is refused with the reason rather than silently falling back.
  if (name == "cpu" || name == "auto") return make_cpu_backend(threads);
  if (name == "cuda")
    fail("--backend cuda: the CUDA backend is not implemented yet; use --backend cpu. (" + describe_cuda_devices() +
         ")");
  fail("unknown backend '" + name + "' (expected cpu, cuda or auto)");
}

}  // namespace naswot
