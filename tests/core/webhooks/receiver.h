// A webhook receiver for tests: a FakeServer that records what the gateway
// delivers, and a Standard Webhooks verifier written on OpenSSL directly,
// independent of the gateway's own signing code.
#pragma once

#include "tests/fakes/fake_server.h"

#include <string>
#include <vector>

namespace aigate::testing {

// True when `request` carries a valid v1 signature of its body by `secret`
// ("whsec_…"), per the Standard Webhooks spec.
bool verifyStandardWebhook(const std::string& secret, const FakeRequest& request);

class Receiver {
 public:
  Receiver();
  std::string url(const std::string& path = "/hooks") const { return server.baseUrl() + path; }
  // Deliveries received so far (failed answers included).
  std::vector<FakeRequest> deliveries() const { return server.received(); }
  // Waits up to 30 s for at least `n` deliveries.
  bool waitFor(size_t n) const;

  FakeServer server;
};

}  // namespace aigate::testing
