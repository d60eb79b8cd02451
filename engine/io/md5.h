// MD5 (RFC 1321), self-written: NAS-Bench-101's graph hash is built from MD5 hex digests.
#pragma once
#include <string>

namespace naswot {

std::string md5_hex(const std::string& data);
// Hex digest of data[0..n) written to out[0..32) (no allocation; for hot loops).
void md5_hex(const char* data, size_t n, char* out);

}  // namespace naswot
