// Users' own provider keys (BYOK), encrypted at rest.
//
// Each key is sealed with XChaCha20-Poly1305 (libsodium) under the gateway's
// master key, with a fresh random nonce per write and associated data that
// names the owner and the provider, so a ciphertext copied into another
// user's or provider's row does not decrypt. The key in clear never reaches
// the database, a log or an error message; only a hint (its last characters)
// is kept readable.
//
// Threading: the functions use the connection they are given: writes
// (putKey, deleteKey) the store's writer connection inside a write, reads
// any connection.
#pragma once

#include "core/byok/master_key.h"
#include "core/common/errors.h"
#include "core/store/store.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace aigate::byok {

// What a user sees of a stored key.
struct KeyInfo {
  std::string provider;
  std::string key_hint;  // "…" + at most the key's last 4 characters
  int64_t created_at = 0;  // unix seconds
  int64_t updated_at = 0;
};

// The longest provider key accepted, in bytes.
inline constexpr size_t kMaxApiKeyBytes = 4096;

// 400 invalid_request (field "api_key") unless `api_key` is 1..4096
// printable ASCII characters without whitespace. Never quotes the key.
Status checkApiKey(std::string_view api_key);

// Stores (or replaces) `user_id`'s key for `provider`, encrypted. The first
// store's created_at is kept on replacement. REQUIRES: the writer connection.
Result<KeyInfo> putKey(store::Conn& c, const MasterKey& master, const std::string& user_id,
                       const std::string& provider, const std::string& api_key);

// The caller's stored keys, by provider name.
std::vector<KeyInfo> listKeys(store::Conn& c, const std::string& user_id);

// Removes `user_id`'s key for `provider`; false when there was none.
// REQUIRES: the writer connection.
bool deleteKey(store::Conn& c, const std::string& user_id, const std::string& provider);

// The providers `user_id` has a key for, by name. Decrypts nothing.
std::vector<std::string> providersWithKeys(store::Conn& c, const std::string& user_id);

// `user_id`'s key for `provider`, in clear: 404 not_found when none is
// stored; 500 internal_error when it does not decrypt (another master key,
// or a row that was altered or moved).
Result<std::string> decryptKey(store::Conn& c, const MasterKey& master, const std::string& user_id,
                               const std::string& provider);

}  // namespace aigate::byok
