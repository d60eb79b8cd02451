// MD5 (RFC 1321), self-written: NAS-Bench-101's graph hash is built from MD5 hex digests.
#pragma once
#include <string>

namespace naswot {

std::string md5_hex(const std::string& data);

}  // namespace naswot
