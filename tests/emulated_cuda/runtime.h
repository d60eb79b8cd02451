// The emulated CUDA runtime's shared parts: device memory (host memory, registered so that library
// calls can check their operands), and streams whose work runs at once on the calling thread, or is
// recorded while the stream captures a graph. One work item runs at a time in the whole process (the
// SIMT emulator's scheduler is one per process).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

namespace emucuda {

// A graph node's kind as cudaGraphNodeGetType reports it (a library call counts as one kernel).
enum class NodeKind { Kernel, Memcpy, Memset };

// Runs `work` in stream order: now, or, while `s` captures, when the graph is launched.
void enqueue(cudaStream_t s, NodeKind kind, std::function<void()> work);

// A kernel launch: the configuration checked as the driver checks it (an invalid one sets the
// error cudaGetLastError returns and runs nothing), the body enqueued.
void launch(cudaStream_t s, dim3 grid, dim3 block, std::function<void()> body);

// A misuse the real library would answer with a crash, a wrong result or an error code that the
// caller may not check: thrown, naming the call.
struct Misuse : std::logic_error {
  using std::logic_error::logic_error;
};
// [p, p + bytes) lies inside one live device allocation, else Misuse naming `what`.
void require_device(const void* p, size_t bytes, const std::string& what);

}  // namespace emucuda
