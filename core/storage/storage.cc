#include "core/storage/storage.h"

#include "core/common/crypto.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace aigate::storage {
namespace {

bool isHex(std::string_view s) {
  for (char ch : s)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

bool isExtension(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  for (char ch : s)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return false;
  return true;
}

Error storageError(const std::string& what) {
  return Error(ErrorCode::kInternalError, "Asset storage: " + what);
}

}  // namespace

std::string contentKey(std::string_view sha256_hex, std::string_view ext) {
  std::string key(sha256_hex.substr(0, 2));
  key += '/';
  key += sha256_hex;
  key += '.';
  key += ext;
  return key;
}

std::optional<std::string> keyFromFileName(std::string_view name) {
  const auto dot = name.find('.');
  if (dot != 64 || !isHex(name.substr(0, 64)) || !isExtension(name.substr(65))) return std::nullopt;
  return contentKey(name.substr(0, 64), name.substr(65));
}

LocalStorage::LocalStorage(std::string root) : root_(std::move(root)) {
  std::filesystem::create_directories(root_);
}

Status LocalStorage::publish(const std::string& key, const std::function<bool(FILE*)>& write) {
  const std::string path = pathOf(key);
  if (::access(path.c_str(), F_OK) == 0) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return storageError("cannot create the folder for " + key + ": " + ec.message());
  const std::string temp = path + ".tmp-" + randomBase62(8);
  FILE* out = std::fopen(temp.c_str(), "wb");
  if (!out) return storageError("cannot write " + temp);
  const bool written = write(out);
  const bool flushed = std::fflush(out) == 0 && ::fsync(fileno(out)) == 0;
  std::fclose(out);
  if (!written || !flushed || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::remove(temp.c_str());
    return storageError("cannot store " + key);
  }
  return Status::Ok();
}

Status LocalStorage::putFile(const std::string& key, const std::string& source_path) {
  return publish(key, [&](FILE* out) {
    FILE* in = std::fopen(source_path.c_str(), "rb");
    if (!in) return false;
    char buf[1 << 16];
    size_t n = 0;
    bool ok = true;
    while (ok && (n = std::fread(buf, 1, sizeof buf, in)) > 0) ok = std::fwrite(buf, 1, n, out) == n;
    ok = ok && !std::ferror(in);
    std::fclose(in);
    return ok;
  });
}

Status LocalStorage::putBytes(const std::string& key, std::string_view bytes) {
  return publish(key, [&](FILE* out) {
    return std::fwrite(bytes.data(), 1, bytes.size(), out) == bytes.size();
  });
}

std::optional<ObjectInfo> LocalStorage::stat(const std::string& key) const {
  struct stat st {};
  if (::stat(pathOf(key).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return ObjectInfo{static_cast<uint64_t>(st.st_size), static_cast<int64_t>(st.st_mtime)};
}

Status LocalStorage::remove(const std::string& key) {
  if (std::remove(pathOf(key).c_str()) != 0 && errno != ENOENT)
    return storageError("cannot delete " + key);
  return Status::Ok();
}

Result<std::string> LocalStorage::read(const std::string& key, uint64_t offset,
                                       uint64_t length) const {
  const int fd = ::open(pathOf(key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error(ErrorCode::kNotFound, "No file " + key + ".");
  std::string out(length, '\0');
  size_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd, out.data() + done, length - done,
                              static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != length) return storageError("short read of " + key);
  return out;
}

}  // namespace aigate::storage
