// The CUDA runtime calls naswot makes, on the CPU: device memory is host memory, a stream runs its
// work at once on the calling thread (so stream order holds trivially), a capturing stream records
// its work into a graph that cudaGraphLaunch replays. Errors are the runtime's codes where naswot
// handles them (allocation failure, invalid launch configuration, synchronising a capturing stream).
#include "tests/emulated_cuda/runtime.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

struct CUgraphNode_st {
  emucuda::NodeKind kind;
  std::function<void()> work;
};
struct CUgraph_st {
  std::vector<std::unique_ptr<CUgraphNode_st>> nodes;
};
struct CUgraphExec_st {
  std::vector<std::function<void()>> work;
};
struct CUstream_st {
  CUgraph_st* capture = nullptr;  // the graph being recorded, or nullptr
  bool capture_invalidated = false;
};

namespace emucuda {
namespace {

// What the emulated device reports: an H100-sized memory (allocations beyond it fail as on a GPU;
// the host's pages are only touched when written).
constexpr size_t kDeviceBytes = size_t(80) << 30;

struct Memory {
  std::mutex m;
  std::map<uintptr_t, size_t> device, pinned;  // start -> bytes
  size_t device_bytes = 0;
};
Memory& memory() {
  static Memory mem;
  return mem;
}
std::mutex& work_mutex() {
  static std::mutex m;
  return m;
}
thread_local cudaError_t last_error = cudaSuccess;

cudaError_t fail_with(cudaError_t e) {
  last_error = e;
  return e;
}

bool inside(const std::map<uintptr_t, size_t>& blocks, const void* p, size_t bytes) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  auto it = blocks.upper_bound(a);
  if (it == blocks.begin()) return false;
  --it;
  return a >= it->first && a + bytes <= it->first + it->second;
}

void run_now(const std::function<void()>& work) {
  const std::lock_guard<std::mutex> lock(work_mutex());
  work();
}

}  // namespace

void enqueue(cudaStream_t s, NodeKind kind, std::function<void()> work) {
  if (s && s->capture) {
    s->capture->nodes.push_back(std::make_unique<CUgraphNode_st>(CUgraphNode_st{kind, std::move(work)}));
    return;
  }
  run_now(work);
}

void launch(cudaStream_t s, dim3 grid, dim3 block, std::function<void()> body) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (!grid.x || !grid.y || !grid.z || !threads || threads > 1024 || block.z > 64 || grid.x > 2147483647u ||
      grid.y > 65535 || grid.z > 65535) {
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  enqueue(s, NodeKind::Kernel, std::move(body));
}

void require_device(const void* p, size_t bytes, const std::string& what) {
  Memory& mem = memory();
  const std::lock_guard<std::mutex> lock(mem.m);
  if (!p || !inside(mem.device, p, bytes))
    throw Misuse("emulated CUDA: " + what + ": " + std::to_string(bytes) + " bytes at " +
                 std::to_string(reinterpret_cast<uintptr_t>(p)) + " are not inside one device allocation");
}

}  // namespace emucuda

using emucuda::fail_with;
using emucuda::memory;

cudaError_t cudaGetLastError() { return std::exchange(emucuda::last_error, cudaSuccess); }
cudaError_t cudaPeekAtLastError() { return emucuda::last_error; }
const char* cudaGetErrorName(cudaError_t e) { return cudaGetErrorString(e); }
const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
    default: return "emulated CUDA error";
  }
}

cudaError_t cudaGetDeviceCount(int* n) {
  *n = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int d) { return d == 0 ? cudaSuccess : fail_with(cudaErrorInvalidDevice); }
cudaError_t cudaGetDevice(int* d) {
  *d = 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int d) {
  if (d != 0) return fail_with(cudaErrorInvalidDevice);
  *p = cudaDeviceProp{};
  std::strncpy(p->name, "SIMT emulator", sizeof p->name - 1);
  p->major = 9;
  p->minor = 0;
  p->totalGlobalMem = emucuda::kDeviceBytes;
  p->multiProcessorCount = 132;
  p->warpSize = 32;
  p->maxThreadsPerBlock = 1024;
  p->sharedMemPerBlock = 48 << 10;
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t* free, size_t* total) {
  const std::lock_guard<std::mutex> lock(memory().m);
  *total = emucuda::kDeviceBytes;
  *free = emucuda::kDeviceBytes - memory().device_bytes;
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** p, size_t bytes) {
  auto& mem = memory();
  const std::lock_guard<std::mutex> lock(mem.m);
  *p = nullptr;
  if (bytes > emucuda::kDeviceBytes - mem.device_bytes) return fail_with(cudaErrorMemoryAllocation);
  // 256-byte aligned, as cudaMalloc's; at least one byte so every allocation has its own address.
  void* q = std::aligned_alloc(256, (std::max<size_t>(bytes, 1) + 255) / 256 * 256);
  if (!q) return fail_with(cudaErrorMemoryAllocation);
  mem.device[reinterpret_cast<uintptr_t>(q)] = bytes;
  mem.device_bytes += bytes;
  *p = q;
  return cudaSuccess;
}
cudaError_t cudaFree(void* p) {
  if (!p) return cudaSuccess;
  auto& mem = memory();
  const std::lock_guard<std::mutex> lock(mem.m);
  auto it = mem.device.find(reinterpret_cast<uintptr_t>(p));
  if (it == mem.device.end()) return fail_with(cudaErrorInvalidValue);
  mem.device_bytes -= it->second;
  mem.device.erase(it);
  std::free(p);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** p, size_t bytes) {
  *p = std::aligned_alloc(256, (std::max<size_t>(bytes, 1) + 255) / 256 * 256);
  if (!*p) return fail_with(cudaErrorMemoryAllocation);
  const std::lock_guard<std::mutex> lock(memory().m);
  memory().pinned[reinterpret_cast<uintptr_t>(*p)] = bytes;
  return cudaSuccess;
}
cudaError_t cudaFreeHost(void* p) {
  if (!p) return cudaSuccess;
  const std::lock_guard<std::mutex> lock(memory().m);
  if (!memory().pinned.erase(reinterpret_cast<uintptr_t>(p))) return fail_with(cudaErrorInvalidValue);
  std::free(p);
  return cudaSuccess;
}

namespace {
// The device sides of a copy of `kind` must be device memory (a host pointer passed as a device
// one is the bug this catches); cudaMemcpyDefault lets either side be either.
void check_copy(void* dst, const void* src, size_t n, cudaMemcpyKind kind, const char* call) {
  const std::string c(call);
  if (kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice)
    emucuda::require_device(dst, n, c + " destination");
  if (kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice)
    emucuda::require_device(src, n, c + " source");
}
}  // namespace

cudaError_t cudaMemcpy(void* dst, const void* src, size_t n, cudaMemcpyKind kind) {
  check_copy(dst, src, n, kind, "cudaMemcpy");
  emucuda::enqueue(nullptr, emucuda::NodeKind::Memcpy, [=] { std::memcpy(dst, src, n); });
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t n, cudaMemcpyKind kind, cudaStream_t s) {
  check_copy(dst, src, n, kind, "cudaMemcpyAsync");
  emucuda::enqueue(s, emucuda::NodeKind::Memcpy, [=] { std::memcpy(dst, src, n); });
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* p, int v, size_t n, cudaStream_t s) {
  emucuda::require_device(p, n, "cudaMemsetAsync");
  emucuda::enqueue(s, emucuda::NodeKind::Memset, [=] { std::memset(p, v, n); });
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* s, unsigned) {
  *s = new CUstream_st;
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* s) { return cudaStreamCreateWithFlags(s, 0); }
cudaError_t cudaStreamDestroy(cudaStream_t s) {
  delete s;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t s) {
  if (s && s->capture) {  // as on a GPU: not permitted, and the capture is lost
    s->capture_invalidated = true;
    return fail_with(cudaErrorStreamCaptureUnsupported);
  }
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

cudaError_t cudaStreamBeginCapture(cudaStream_t s, cudaStreamCaptureMode) {
  if (!s || s->capture) return fail_with(cudaErrorIllegalState);
  s->capture = new CUgraph_st;
  s->capture_invalidated = false;
  return cudaSuccess;
}
cudaError_t cudaStreamEndCapture(cudaStream_t s, cudaGraph_t* g) {
  if (!s || !s->capture) return fail_with(cudaErrorIllegalState);
  CUgraph_st* graph = std::exchange(s->capture, nullptr);
  if (s->capture_invalidated) {
    delete graph;
    *g = nullptr;
    return fail_with(cudaErrorStreamCaptureInvalidated);
  }
  *g = graph;
  return cudaSuccess;
}
cudaError_t cudaGraphGetNodes(cudaGraph_t g, cudaGraphNode_t* nodes, size_t* n) {
  if (!g || !n) return fail_with(cudaErrorInvalidValue);
  if (!nodes) {
    *n = g->nodes.size();
    return cudaSuccess;
  }
  const size_t count = std::min(*n, g->nodes.size());
  for (size_t i = 0; i < count; ++i) nodes[i] = g->nodes[i].get();
  *n = count;
  return cudaSuccess;
}
cudaError_t cudaGraphNodeGetType(cudaGraphNode_t node, cudaGraphNodeType* type) {
  switch (node->kind) {
    case emucuda::NodeKind::Kernel: *type = cudaGraphNodeTypeKernel; break;
    case emucuda::NodeKind::Memcpy: *type = cudaGraphNodeTypeMemcpy; break;
    case emucuda::NodeKind::Memset: *type = cudaGraphNodeTypeMemset; break;
  }
  return cudaSuccess;
}
cudaError_t cudaGraphInstantiate(cudaGraphExec_t* exec, cudaGraph_t g, unsigned long long) {
  if (!g) return fail_with(cudaErrorInvalidValue);
  auto* e = new CUgraphExec_st;
  for (const auto& node : g->nodes) e->work.push_back(node->work);
  *exec = e;
  return cudaSuccess;
}
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t s) {
  for (const auto& w : exec->work) emucuda::enqueue(s, emucuda::NodeKind::Kernel, w);
  return cudaSuccess;
}
cudaError_t cudaGraphDestroy(cudaGraph_t g) {
  delete g;
  return cudaSuccess;
}
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t e) {
  delete e;
  return cudaSuccess;
}
