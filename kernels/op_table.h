// Helpers for expanding the op table (kernels/ops.def) and the list of its ops.
#pragma once
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "kernels/op_types.h"

// (a, b, c) -> a, b, c: a row's parenthesised parameters or arguments inside another list.
#define NASWOT_STRIP(...) __VA_ARGS__

namespace naswot {

// The names of the table's ops, in table order.
inline constexpr const char* kOpNames[] = {
#define NASWOT_OP(name, cuda, params, args) #name,
#include "kernels/ops.def"
#undef NASWOT_OP
};
inline constexpr size_t kOpCount = sizeof kOpNames / sizeof kOpNames[0];

// The op table's index of an op name (kOpCount when there is none).
constexpr size_t op_index(std::string_view name) {
  for (size_t i = 0; i < kOpCount; ++i)
    if (name == kOpNames[i]) return i;
  return kOpCount;
}

// The arguments of one call of an op as a value (a tuple of the parameters' decayed types), for
// backends that run several calls of one op at once (Ops::NAME_many, engine/lockstep.h).
template <class F>
struct ArgsOf;
template <class... A>
struct ArgsOf<void(A...)> {
  using type = std::tuple<std::decay_t<A>...>;
};
namespace op_args {
#define NASWOT_OP(name, cuda, params, args) using name = ArgsOf<void params>::type;
#include "kernels/ops.def"
#undef NASWOT_OP
}  // namespace op_args

}  // namespace naswot
