// One adapter per search space: what the scoring set-up, run databases, the CLI and the benchmarks
// need to know of a space, behind one interface (NB201, NATS-Bench SSS, NB101).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine/graph.h"

namespace naswot {

enum class SpaceId { Nb201, Nb101, NatsSss };

// The scoring network's configuration that does not depend on the architecture.
struct NetShape {
  int num_classes = 1;  // NASWOT scores with one output
  int image = 32;       // input side: 32 (CIFAR) or 16 (ImageNet16-120)
  // NB101: the benchmark's network as the proxy suites build it (stem 128, PyTorch's default
  // initialisation) instead of NASWOT's scoring network (stem 16, the port's He-normal weights).
  bool nb101_suite = false;
};

class Space {
 public:
  virtual ~Space() = default;
  virtual SpaceId id() const = 0;
  virtual const char* name() const = 0;   // as --space and run databases spell it: nb201, nb101, nats-sss
  virtual const char* title() const = 0;  // NAS-Bench-201, ...
  virtual long size() const = 0;          // architectures, indexed 0 .. size-1 in the benchmark's order
  // The index of an architecture as --arch takes it (an index, or the space's own notation: an NB201
  // arch string, an NB101 graph hash, SSS channels); throws naswot::Error saying why there is none.
  virtual long resolve(const std::string& spec) const = 0;
  // The arch column a run stores for an index (throws naswot::Error outside the space).
  virtual std::string arch(long index) const = 0;
  // What is wrong with `arch` stored for `index`, or "" (index assumed in range; NB101 checks the
  // hash's form only, so that reading a run does not enumerate the space).
  virtual std::string arch_problem(long index, const std::string& arch) const;
  // The scoring network of an index.
  virtual Graph build(long index, const NetShape& shape) const = 0;
  // The key of an architecture's weight streams (engine/init.h): equal keys, equal weights.
  virtual uint64_t weight_key(long index) const { return uint64_t(index); }
  // The folder name of an architecture's oracle export (--export DIR/<name>/).
  virtual std::string export_name(long index) const { return std::to_string(index); }
  // Whether networks of the space take ImageNet16-120 and CIFAR-100 images (NB101: CIFAR-10 only).
  virtual bool all_datasets() const { return true; }
  // With the reference code's quirks reproduced: why the reference cannot score an architecture
  // (its score is then NaN, status reference_nan), or "".
  virtual std::string reference_failure(long) const { return ""; }
  // A key whose order puts architectures with much of their op sequence in common next to each other
  // (--lockstep scores neighbours in that order together, so more of their calls share a launch):
  // the arch string (NB201's ops edge by edge, SSS's channels stage by stage); NB101: the cell's
  // matrix and ops (its index order is its hashes', which says nothing of its structure).
  virtual std::string lockstep_key(long index) const { return arch(index); }

  // Range check with the space's name in the message.
  void check_index(long index) const;
};

// The positions of `indices` in the order of their lockstep keys (equal keys: by position).
std::vector<size_t> lockstep_order(const Space& space, const std::vector<long>& indices);

// The space named `name`; an unknown name throws naswot::Error listing the known ones.
const Space& space_named(const std::string& name);
const Space& space_of(SpaceId id);
const std::vector<const Space*>& all_spaces();

}  // namespace naswot
