// Helpers for expanding the op table (kernels/ops.def) and the list of its ops.
#pragma once
#include <cstddef>

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

}  // namespace naswot
