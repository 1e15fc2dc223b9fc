#include "core/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include <pthread.h>

namespace aigate {

Sha256 sha256(std::string_view data) {
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return out;
}

std::optional<Sha256> sha256File(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!file) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  char buf[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, file.get())) > 0) {
    if (EVP_DigestUpdate(ctx.get(), buf, n) != 1) return std::nullopt;
  }
  if (std::ferror(file.get())) return std::nullopt;
  Sha256 out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1) return std::nullopt;
  return out;
}

std::string toHex(const Sha256& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(digest.size() * 2, '0');
  for (size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return out;
}

namespace {

// Forks seen by this process: a child must not reuse its parent's bytes.
std::atomic<unsigned> forks{0};

// Bytes of the CSPRNG drawn a block at a time: RAND_bytes costs a couple of
// microseconds a call (locks), and every request takes an id. A block drawn
// before a fork is never used after it (the child draws its own).
class RandomBytes {
 public:
  RandomBytes() {
    static const int registered = pthread_atfork(nullptr, nullptr, [] { ++forks; });
    (void)registered;
  }

  unsigned char next() {
    if (used_ == sizeof block_ || fork_ != forks.load(std::memory_order_relaxed)) refill();
    return block_[used_++];
  }

 private:
  void refill() {
    fork_ = forks.load(std::memory_order_relaxed);
    if (RAND_bytes(block_, sizeof block_) != 1) throw std::runtime_error("the OS random source failed");
    used_ = 0;
  }

  unsigned char block_[512];
  size_t used_ = sizeof block_;
  unsigned fork_ = 0;
};

}  // namespace

std::string randomBase62(size_t length) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static thread_local RandomBytes random;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    // Rejection sampling: 248 = 4 * 62 keeps the alphabet uniform.
    const unsigned char b = random.next();
    if (b < 248) out.push_back(kAlphabet[b % 62]);
  }
  return out;
}

std::string newId(std::string_view prefix) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr size_t kTimeChars = 8;  // 62^8 ms: beyond the year 8000
  auto ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  std::string id(prefix);
  id += '_';
  id.resize(id.size() + kTimeChars);
  for (size_t i = 0; i < kTimeChars; ++i, ms /= 62) id[id.size() - 1 - i] = kAlphabet[ms % 62];
  id += randomBase62(20 - kTimeChars);
  return id;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace aigate
