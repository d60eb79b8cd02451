// The three search spaces behind the Space adapter (searchspaces/space.h).
#include "searchspaces/space.h"

#include <algorithm>
#include <utility>

#include "engine/error.h"
#include "searchspaces/nats_sss.h"
#include "searchspaces/nb101.h"
#include "searchspaces/nb101_index.h"
#include "searchspaces/nb201.h"

namespace naswot {

std::string Space::arch_problem(long index, const std::string& a) const {
  return a == arch(index) ? "" : "arch '" + a + "' is not " + title() + " index " + std::to_string(index);
}

std::vector<size_t> lockstep_order(const Space& space, const std::vector<long>& indices) {
  std::vector<std::pair<std::string, size_t>> keyed;
  keyed.reserve(indices.size());
  for (size_t k = 0; k < indices.size(); ++k) keyed.emplace_back(space.lockstep_key(indices[k]), k);
  std::sort(keyed.begin(), keyed.end());
  std::vector<size_t> order;
  order.reserve(keyed.size());
  for (const auto& e : keyed) order.push_back(e.second);
  return order;
}

void Space::check_index(long index) const {
  if (index < 0 || index >= size())
    fail(std::string(name()) + " index " + std::to_string(index) + " is out of range [0, " +
         std::to_string(size() - 1) + "]");
}

namespace {

class Nb201 final : public Space {
 public:
  SpaceId id() const override { return SpaceId::Nb201; }
  const char* name() const override { return "nb201"; }
  const char* title() const override { return "NAS-Bench-201"; }
  long size() const override { return nb201::kNumArchs; }
  long resolve(const std::string& spec) const override { return nb201::index_of(nb201::resolve(spec)); }
  std::string arch(long index) const override {
    check_index(index);
    return nb201::to_string(nb201::from_index(int(index)));
  }
  Graph build(long index, const NetShape& s) const override {
    check_index(index);
    nb201::NetConfig c;
    c.num_classes = s.num_classes;
    c.image = s.image;
    return nb201::build(nb201::from_index(int(index)), c);
  }
};

class NatsSss final : public Space {
 public:
  SpaceId id() const override { return SpaceId::NatsSss; }
  const char* name() const override { return "nats-sss"; }
  const char* title() const override { return "NATS-Bench SSS"; }
  long size() const override { return nats_sss::kNumArchs; }
  long resolve(const std::string& spec) const override { return nats_sss::index_of(nats_sss::resolve(spec)); }
  std::string arch(long index) const override {
    check_index(index);
    return nats_sss::to_string(nats_sss::from_index(index));
  }
  std::string arch_problem(long index, const std::string& a) const override {
    return a == arch(index) ? "" : "channels '" + a + "' are not NATS-Bench SSS index " + std::to_string(index);
  }
  Graph build(long index, const NetShape& s) const override {
    check_index(index);
    return nats_sss::build(nats_sss::from_index(index), s.num_classes, s.image);
  }
};

// NB101 by index: the enumerated cells in ascending hash order; arch = "hash matrix ops".
class Nb101 final : public Space {
 public:
  SpaceId id() const override { return SpaceId::Nb101; }
  const char* name() const override { return "nb101"; }
  const char* title() const override { return "NAS-Bench-101"; }
  long size() const override { return long(nb101::kNumCells); }
  long resolve(const std::string& spec) const override { return nb101::resolve_index(spec); }
  std::string arch(long index) const override {
    const nb101::HashedCell& h = cell(index);
    return h.hash + " " + h.cell.matrix_string() + " " + h.cell.ops_string();
  }
  std::string lockstep_key(long index) const override {
    const nb101::Cell& c = cell(index).cell;
    return c.matrix_string() + " " + c.ops_string();
  }
  std::string arch_problem(long, const std::string& a) const override {
    return nb101::is_graph_hash(a.substr(0, a.find(' ')))
               ? ""
               : "arch '" + a.substr(0, 40) + "' does not start with a 32-digit graph hash";
  }
  Graph build(long index, const NetShape& s) const override {
    return nb101::build(cell(index).cell, nb101::config_of(s));
  }
  // Weights keyed by the hash, so a cell gets the same weights however it was written down.
  uint64_t weight_key(long index) const override { return std::stoull(cell(index).hash.substr(0, 16), nullptr, 16); }
  std::string export_name(long index) const override { return cell(index).hash; }
  bool all_datasets() const override { return false; }
  std::string reference_failure(long index) const override {
    return nb101::hits_reference_inplace_bug(cell(index).cell) ? nb101::kReferenceInplaceFailure : "";
  }

 private:
  const nb101::HashedCell& cell(long index) const {
    check_index(index);
    return nb101::indexed_cells()[size_t(index)];
  }
};

}  // namespace

const std::vector<const Space*>& all_spaces() {
  static const Nb201 nb201;
  static const Nb101 nb101;
  static const NatsSss sss;
  static const std::vector<const Space*> all = {&nb201, &nb101, &sss};
  return all;
}

const Space& space_of(SpaceId id) {
  for (const Space* s : all_spaces())
    if (s->id() == id) return *s;
  fail("unknown space id");
}

const Space& space_named(const std::string& name) {
  std::string known;
  for (const Space* s : all_spaces()) {
    if (name == s->name()) return *s;
    known += std::string(known.empty() ? "" : ", ") + s->name();
  }
  fail("unknown --space '" + name + "' (supported: " + known + ")");
}

}  // namespace naswot
