// Standard Webhooks signing (https://www.standardwebhooks.com): secrets are
// "whsec_" + base64 of random bytes; a delivery carries
// "webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>"
// where the key is the base64-decoded part of the secret. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace aigate::webhooks {

// "whsec_" + base64 of 24 bytes from the OS CSPRNG.
std::string newSecret();

// The webhook-signature header value; "" when `secret` is not a whsec_ secret.
std::string sign(std::string_view secret, std::string_view id, int64_t timestamp,
                 std::string_view body);

}  // namespace aigate::webhooks
