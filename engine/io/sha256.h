// SHA-256 (FIPS 180-4), for data-file checksums recorded with every run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace naswot {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t n);
  std::string hex();  // finalises

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t fill_ = 0;
  uint64_t bytes_ = 0;
};

std::string sha256_hex(const void* data, size_t n);
std::string sha256_file(const std::string& path);  // throws naswot::Error if unreadable

}  // namespace naswot
