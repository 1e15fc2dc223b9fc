#include "core/webhooks/signature.h"

#include "core/http/transfer.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace aigate::webhooks {

namespace {
constexpr std::string_view kPrefix = "whsec_";
}  // namespace

std::string newSecret() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return std::string(kPrefix) +
         http::encodeBase64(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

std::string sign(std::string_view secret, std::string_view id, int64_t timestamp,
                 std::string_view body) {
  if (!secret.starts_with(kPrefix)) return {};
  const auto key = http::decodeBase64(secret.substr(kPrefix.size()));
  if (!key || key->empty()) return {};
  std::string message;
  message.reserve(id.size() + body.size() + 24);
  message.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  if (!HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac,
            &mac_length))
    return {};
  return "v1," +
         http::encodeBase64(std::string_view(reinterpret_cast<const char*>(mac), mac_length));
}

}  // namespace aigate::webhooks
