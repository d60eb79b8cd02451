// The C interface (include/naswot/naswot.h) over the C++ one: no exception crosses it.
#include <map>
#include <sstream>
#include <string>

#include "naswot/naswot.h"
#include "naswot/naswot.hpp"

struct naswot_scorer {
  naswot::Scorer scorer;
  naswot::Result last;  // what the row's strings point into
};

namespace {

thread_local std::string g_error;

template <class F>
auto guarded(F&& f, decltype(f()) on_error) -> decltype(f()) {
  try {
    g_error.clear();
    return f();
  } catch (const std::exception& e) {
    g_error = e.what();
  } catch (...) {
    g_error = "unknown error";
  }
  return on_error;
}

}  // namespace

extern "C" {

naswot_scorer* naswot_new(const char* options) {
  return guarded(
      [&]() -> naswot_scorer* {
        std::map<std::string, std::string> o;
        std::istringstream in(options ? options : "");
        for (std::string kv; in >> kv;) {
          const size_t eq = kv.find('=');
          if (eq == std::string::npos || eq == 0)
            throw naswot::Error("option '" + kv + "' is not key=value (e.g. space=nb201 batch=128)");
          if (!o.emplace(kv.substr(0, eq), kv.substr(eq + 1)).second)
            throw naswot::Error("option '" + kv.substr(0, eq) + "' is given twice");
        }
        return new naswot_scorer{naswot::Scorer(o), {}};
      },
      nullptr);
}

int naswot_score(naswot_scorer* s, const char* arch, naswot_row* row) {
  return guarded(
      [&] {
        if (!s || !arch || !row) throw naswot::Error("naswot_score: a NULL argument");
        s->last = s->scorer.score(std::string(arch));
        *row = {s->last.index,        s->last.score,          s->last.seconds,
                s->last.arch.c_str(), s->last.status.c_str(), s->last.reason.c_str()};
        return 0;
      },
      -1);
}

long naswot_space_size(const naswot_scorer* s) { return s ? s->scorer.space_size() : 0; }
void naswot_free(naswot_scorer* s) { delete s; }
const char* naswot_last_error(void) { return g_error.c_str(); }
const char* naswot_version(void) { return naswot::version(); }

}  // extern "C"
