// The gateway's master key for BYOK: where it comes from (environment, a
// file, or a key file made on first start in the data dir) and how it is
// held in memory (locked out of swap, wiped when destroyed).
//
// Threading: a MasterKey is immutable once made and safe to share.
#pragma once

#include "config/config.h"
#include "core/common/errors.h"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace aigate::byok {

// The 32-byte key that encrypts every stored provider key. Held in memory
// locked out of swap and wiped when destroyed.
class MasterKey {
 public:
  static constexpr size_t kSize = 32;

  // The key from the environment variable named by cfg.byok.master_key_env
  // (base64 or hex), else from the file named by the variable
  // cfg.byok.master_key_file_env, else from <cfg.data_dir>/master.key,
  // which is created (random, base64, mode 0600) when it does not exist.
  // A malformed or unreadable key is an error naming its source, never
  // showing its value.
  static Result<MasterKey> resolve(const config::Config& cfg);
  // 32 bytes written as base64 (standard or URL-safe, padding optional) or
  // as 64 hex digits; surrounding whitespace is ignored. `source` names
  // where the text came from, for the error.
  static Result<MasterKey> parse(std::string_view text, const std::string& source);
  // A new random key (tests; resolve() for a new master.key).
  static MasterKey generate();

  MasterKey(MasterKey&&) noexcept = default;
  MasterKey& operator=(MasterKey&&) noexcept = default;
  MasterKey(const MasterKey&) = delete;
  MasterKey& operator=(const MasterKey&) = delete;

  std::span<const unsigned char, kSize> bytes() const {
    return std::span<const unsigned char, kSize>(bytes_.get(), kSize);
  }
  // The key as standard base64 (what resolve() writes to master.key).
  std::string toBase64() const;

 private:
  struct Free {
    void operator()(unsigned char* p) const;
  };
  MasterKey();  // allocates kSize locked bytes
  std::unique_ptr<unsigned char[], Free> bytes_;
};

}  // namespace aigate::byok
