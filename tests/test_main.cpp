// doctest entry point.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "engine/error.h"
#include "tests/test_util.h"

std::string naswot::test::error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const naswot::Error& e) {
    return e.what();
  }
  return "no error";
}
