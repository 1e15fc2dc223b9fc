#include "core/byok/master_key.h"

#include "core/common/crypto.h"

#include <sodium.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <new>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace aigate::byok {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxKeyFileBytes = 4096;

void initSodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

Error keyError(const std::string& source, const std::string& problem) {
  return Error(ErrorCode::kInternalError, source + ": " + problem);
}

// Wipes a string that held key material before it is freed.
struct Wiped {
  std::string text;
  ~Wiped() { sodium_memzero(text.data(), text.size()); }
};

std::string_view trimmed(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

bool decodeHex(std::string_view text, unsigned char* out) {
  if (text.size() != 2 * MasterKey::kSize) return false;
  size_t length = 0;
  const char* end = nullptr;
  return sodium_hex2bin(out, MasterKey::kSize, text.data(), text.size(), nullptr, &length, &end) ==
             0 &&
         length == MasterKey::kSize && end == text.data() + text.size();
}

bool decodeBase64(std::string_view text, unsigned char* out) {
  for (int variant : {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                      sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING}) {
    size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(out, MasterKey::kSize, text.data(), text.size(), nullptr, &length, &end,
                          variant) == 0 &&
        length == MasterKey::kSize && end == text.data() + text.size())
      return true;
  }
  return false;
}

// Reads a key file: at most kMaxKeyFileBytes.
Result<MasterKey> readKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return keyError(path, std::string("cannot read the master key file: ") + std::strerror(errno));
  Wiped content;
  content.text.resize(kMaxKeyFileBytes + 1);
  size_t used = 0;
  while (used < content.text.size()) {
    const ssize_t n = ::read(fd, content.text.data() + used, content.text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<size_t>(n);
  }
  ::close(fd);
  if (used > kMaxKeyFileBytes) return keyError(path, "the master key file is too large");
  return MasterKey::parse(std::string_view(content.text.data(), used), path);
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Makes `path` hold a new random key, mode 0600. The file appears whole or
// not at all (written beside it, then linked into place), so two processes
// starting at once agree on one key: the loser reads the winner's.
Result<MasterKey> createKeyFile(const fs::path& path) {
  const std::string temp = path.string() + ".tmp-" + randomBase62(12);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return keyError(path.string(), std::string("cannot create the master key file: ") +
                                       std::strerror(errno));
  MasterKey key = MasterKey::generate();
  Wiped text{key.toBase64()};
  const bool written = writeAll(fd, text.text) && writeAll(fd, "\n") && ::fsync(fd) == 0;
  const int write_errno = errno;
  ::close(fd);
  if (!written) {
    ::unlink(temp.c_str());
    return keyError(path.string(), std::string("cannot write the master key file: ") +
                                       std::strerror(write_errno));
  }
  const bool linked = ::link(temp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (!linked) {
    if (link_errno == EEXIST) return readKeyFile(path.string());
    return keyError(path.string(), std::string("cannot create the master key file: ") +
                                       std::strerror(link_errno));
  }
  if (const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return key;
}

}  // namespace

void MasterKey::Free::operator()(unsigned char* p) const { sodium_free(p); }

MasterKey::MasterKey() {
  initSodium();
  // sodium_malloc: guard pages around the key, mlock'ed, zeroed by sodium_free.
  bytes_.reset(static_cast<unsigned char*>(sodium_malloc(kSize)));
  if (!bytes_) throw std::bad_alloc();
}

MasterKey MasterKey::generate() {
  MasterKey key;
  randombytes_buf(key.bytes_.get(), kSize);
  return key;
}

Result<MasterKey> MasterKey::parse(std::string_view text, const std::string& source) {
  MasterKey key;
  const std::string_view t = trimmed(text);
  if (decodeHex(t, key.bytes_.get()) || decodeBase64(t, key.bytes_.get())) return key;
  return keyError(source, "the master key must be 32 bytes written as base64 or as 64 hex digits");
}

std::string MasterKey::toBase64() const {
  std::string out(sodium_base64_ENCODED_LEN(kSize, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_.get(), kSize, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<MasterKey> MasterKey::resolve(const config::Config& cfg) {
  const auto& names = cfg.byok;
  if (const char* value = std::getenv(names.master_key_env.c_str()); value && *value)
    return parse(value, "environment variable " + names.master_key_env);
  if (const char* file = std::getenv(names.master_key_file_env.c_str()); file && *file)
    return readKeyFile(file);

  const fs::path path = fs::path(cfg.data_dir) / "master.key";
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec) return keyError(cfg.data_dir, "cannot create the data directory: " + ec.message());
  if (fs::exists(path, ec)) return readKeyFile(path.string());
  return createKeyFile(path);
}

}  // namespace aigate::byok
