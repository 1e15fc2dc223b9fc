#include "core/byok/keystore.h"

#include "core/common/clock.h"

#include <sodium.h>

#include <algorithm>

namespace aigate::byok {
namespace {

constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
static_assert(kNonceBytes == 24);
static_assert(MasterKey::kSize == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

// What each ciphertext is bound to: the format, its owner and its provider.
// A row moved to another user or provider, or a future format, fails to
// decrypt instead of handing out someone else's key.
std::string associatedData(const std::string& user_id, const std::string& provider) {
  std::string ad("aigate-byok-v1");
  ad += '\0';
  ad += user_id;
  ad += '\0';
  ad += provider;
  return ad;
}

// The visible end of a key: its last 4 characters, fewer for a short key so
// that the hint never gives away more than a quarter of it.
std::string hintOf(std::string_view api_key) {
  const size_t n = std::min<size_t>(4, api_key.size() / 4);
  return std::string(api_key.substr(api_key.size() - n));
}

KeyInfo readInfo(SQLite::Statement& q) {
  KeyInfo info;
  info.provider = q.getColumn(0).getString();
  info.key_hint = "\xE2\x80\xA6" + q.getColumn(1).getString();  // "…"
  info.created_at = q.getColumn(2).getInt64();
  info.updated_at = q.getColumn(3).getInt64();
  return info;
}

Error keyNotFound(const std::string& provider) {
  return Error(ErrorCode::kNotFound, "You have no key stored for provider " + provider + ".");
}

}  // namespace

Status checkApiKey(std::string_view api_key) {
  if (api_key.empty()) return Error::invalidField("api_key", "api_key must not be empty.");
  if (api_key.size() > kMaxApiKeyBytes)
    return Error::invalidField("api_key", "api_key must be at most " +
                                              std::to_string(kMaxApiKeyBytes) + " characters.");
  for (unsigned char ch : api_key) {
    if (ch <= ' ' || ch >= 0x7f)
      return Error::invalidField(
          "api_key", "api_key must be printable ASCII characters without spaces or line breaks.");
  }
  return Status::Ok();
}

Result<KeyInfo> putKey(store::Conn& c, const MasterKey& master, const std::string& user_id,
                       const std::string& provider, const std::string& api_key) {
  if (auto ok = checkApiKey(api_key); !ok) return ok.error();
  unsigned char nonce[kNonceBytes];
  randombytes_buf(nonce, sizeof nonce);
  const std::string ad = associatedData(user_id, provider);
  std::vector<unsigned char> sealed(api_key.size() + kTagBytes);
  unsigned long long sealed_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      sealed.data(), &sealed_size, reinterpret_cast<const unsigned char*>(api_key.data()),
      api_key.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      master.bytes().data());

  const int64_t now = unixSeconds();
  const std::string hint = hintOf(api_key);
  auto& upsert = c.statement(
      "INSERT INTO byok_keys (user_id, provider, nonce, ciphertext, key_hint, created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (user_id, provider) DO UPDATE SET nonce = excluded.nonce, "
      "ciphertext = excluded.ciphertext, key_hint = excluded.key_hint, "
      "updated_at = excluded.updated_at");
  upsert.bind(1, user_id);
  upsert.bind(2, provider);
  upsert.bind(3, nonce, static_cast<int>(sizeof nonce));
  upsert.bind(4, sealed.data(), static_cast<int>(sealed_size));
  upsert.bind(5, hint);
  upsert.bind(6, now);
  upsert.bind(7, now);
  upsert.exec();

  auto& row = c.statement(
      "SELECT provider, key_hint, created_at, updated_at FROM byok_keys "
      "WHERE user_id = ? AND provider = ?");
  row.bind(1, user_id);
  row.bind(2, provider);
  if (!row.executeStep())
    return Error(ErrorCode::kInternalError, "The key for provider " + provider + " was not stored.");
  KeyInfo info = readInfo(row);
  row.reset();
  return info;
}

std::vector<KeyInfo> listKeys(store::Conn& c, const std::string& user_id) {
  auto& q = c.statement(
      "SELECT provider, key_hint, created_at, updated_at FROM byok_keys "
      "WHERE user_id = ? ORDER BY provider");
  q.bind(1, user_id);
  std::vector<KeyInfo> out;
  while (q.executeStep()) out.push_back(readInfo(q));
  q.reset();
  return out;
}

bool deleteKey(store::Conn& c, const std::string& user_id, const std::string& provider) {
  auto& q = c.statement("DELETE FROM byok_keys WHERE user_id = ? AND provider = ?");
  q.bind(1, user_id);
  q.bind(2, provider);
  return q.exec() > 0;
}

std::vector<std::string> providersWithKeys(store::Conn& c, const std::string& user_id) {
  auto& q = c.statement("SELECT provider FROM byok_keys WHERE user_id = ? ORDER BY provider");
  q.bind(1, user_id);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  q.reset();
  return out;
}

Result<std::string> decryptKey(store::Conn& c, const MasterKey& master, const std::string& user_id,
                               const std::string& provider) {
  auto& q = c.statement(
      "SELECT nonce, ciphertext FROM byok_keys WHERE user_id = ? AND provider = ?");
  q.bind(1, user_id);
  q.bind(2, provider);
  if (!q.executeStep()) {
    q.reset();
    return keyNotFound(provider);
  }
  const auto nonce = q.getColumn(0);
  const auto sealed = q.getColumn(1);
  const auto sealed_size = static_cast<size_t>(sealed.getBytes());
  const auto cannotDecrypt = [&] {
    return Error(ErrorCode::kInternalError,
                 "Your stored key for provider " + provider +
                     " cannot be decrypted (the gateway's master key changed, or the stored "
                     "row was altered); store it again.");
  };
  const std::string ad = associatedData(user_id, provider);
  std::string api_key(sealed_size >= kTagBytes ? sealed_size - kTagBytes : 0, '\0');
  unsigned long long size = 0;
  const bool opened =
      static_cast<size_t>(nonce.getBytes()) == kNonceBytes && sealed_size >= kTagBytes &&
      crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(api_key.data()), &size, nullptr,
          static_cast<const unsigned char*>(sealed.getBlob()), sealed_size,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          static_cast<const unsigned char*>(nonce.getBlob()), master.bytes().data()) == 0;
  q.reset();
  if (!opened) return cannotDecrypt();
  api_key.resize(size);
  return api_key;
}

}  // namespace aigate::byok
