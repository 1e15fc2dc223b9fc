#include "tests/core/webhooks/receiver.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sstream>

namespace aigate::testing {
namespace {

std::string base64Decode(const std::string& text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  size_t length = static_cast<size_t>(n);
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --length;  // padding
  out.resize(length);
  return out;
}

std::string base64Encode(const unsigned char* data, size_t size) {
  std::string out((size + 2) / 3 * 4 + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

bool verifyStandardWebhook(const std::string& secret, const FakeRequest& request) {
  if (secret.rfind("whsec_", 0) != 0) return false;
  const std::string key = base64Decode(secret.substr(6));
  const std::string id = request.header("webhook-id");
  const std::string timestamp = request.header("webhook-timestamp");
  if (key.empty() || id.empty() || timestamp.empty()) return false;
  const std::string signed_content = id + "." + timestamp + "." + request.body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_content.data()), signed_content.size(), mac,
       &mac_length);
  const std::string expected = "v1," + base64Encode(mac, mac_length);
  // The header may list several space-separated signatures.
  std::istringstream signatures(request.header("webhook-signature"));
  for (std::string one; signatures >> one;)
    if (one == expected) return true;
  return false;
}

Receiver::Receiver()
    : server([](const FakeRequest&) {
        FakeResponse ok;
        ok.body = "ok";
        ok.content_type = "text/plain";
        return ok;
      }) {}

bool Receiver::waitFor(size_t n) const {
  return server.waitFor([&] { return server.received().size() >= n; }, 30'000);
}

}  // namespace aigate::testing
