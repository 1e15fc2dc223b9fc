// Where asset files live, behind an interface so that an S3-compatible store
// can stand in for the local disk later.
//
// Keys are content-addressed: "<first two hex digits>/<sha256 hex>.<ext>", so a
// key names exactly one content and never needs to be overwritten.
#pragma once

#include "core/common/errors.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <functional>
#include <cstdio>

namespace aigate::storage {

struct ObjectInfo {
  uint64_t size = 0;
  int64_t modified = 0;  // unix seconds
};

// Thread-safe.
class AssetStorage {
 public:
  virtual ~AssetStorage() = default;
  // Stores a copy of the file at `source_path` under `key`; a no-op when the
  // key exists already.
  virtual Status putFile(const std::string& key, const std::string& source_path) = 0;
  // Stores `bytes` under `key`; a no-op when the key exists already.
  virtual Status putBytes(const std::string& key, std::string_view bytes) = 0;
  virtual std::optional<ObjectInfo> stat(const std::string& key) const = 0;
  // Deletes `key`; a no-op when it is absent.
  virtual Status remove(const std::string& key) = 0;
  // Bytes [offset, offset + length) of `key`.
  virtual Result<std::string> read(const std::string& key, uint64_t offset,
                                   uint64_t length) const = 0;
};

// "ab/ab12…ef.png" for a hex digest and extension.
std::string contentKey(std::string_view sha256_hex, std::string_view ext);

// The key a public file name ("<sha256 hex>.<ext>") stands for; nullopt for any
// other name, so that no name can reach outside the store.
std::optional<std::string> keyFromFileName(std::string_view name);

// Files under a folder of the local disk (the data dir's `assets/`).
class LocalStorage : public AssetStorage {
 public:
  explicit LocalStorage(std::string root);

  Status putFile(const std::string& key, const std::string& source_path) override;
  Status putBytes(const std::string& key, std::string_view bytes) override;
  std::optional<ObjectInfo> stat(const std::string& key) const override;
  Status remove(const std::string& key) override;
  Result<std::string> read(const std::string& key, uint64_t offset,
                           uint64_t length) const override;

 private:
  std::string pathOf(const std::string& key) const { return root_ + "/" + key; }
  // Writes via a temporary file and rename, so a key is whole or absent.
  Status publish(const std::string& key, const std::function<bool(FILE*)>& write);

  std::string root_;
};

}  // namespace aigate::storage
