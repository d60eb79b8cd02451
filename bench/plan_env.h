// The benchmarks' NASWOT_CONV_LOADS=on|off: plans with or without the convolutions' fused loads and stores
// (PlanOptions::conv_loads) whatever the backend asks; unset: as the backend asks.
#pragma once
#include <cstdlib>
#include <string>

#include "engine/error.h"
#include "engine/planner.h"

namespace naswot {

// The plan options the variable asks for, and its value ("" when unset) in `said`.
inline PlanOptions plan_options_from_env(std::string& said) {
  PlanOptions o;
  const char* v = std::getenv("NASWOT_CONV_LOADS");
  said = v ? v : "";
  if (!v) return o;
  if (said != "on" && said != "off") fail("NASWOT_CONV_LOADS must be on or off");
  o.conv_loads = said == "on" ? PlanOptions::ConvLoads::On : PlanOptions::ConvLoads::Off;
  return o;
}

}  // namespace naswot
