// Idempotency-Key records (Stripe semantics): the first response to a key is
// stored and replayed for the same request; a different request under the
// same key is a conflict.
//
// REQUIRES for every function: called inside a Store write.
#pragma once

#include "core/common/crypto.h"
#include "core/store/store.h"

#include <string>

namespace aigate::credits {

struct StoredResponse {
  int status = 0;
  std::string body;
};

struct IdempotencyCheck {
  enum Kind {
    kNew,       // no live record: a 'running' record was written for this request
    kReplay,    // the same request finished before: `stored` is its response
    kMismatch,  // the key was used for a different request
    kRunning,   // the first request with this key has not finished
  };
  Kind kind = kNew;
  StoredResponse stored;
};

// Looks up (scope, key); records a new 'running' entry when there is none or
// the old one is older than `ttl_seconds`.
IdempotencyCheck beginIdempotent(store::Conn& c, const std::string& scope, const std::string& key,
                                 const Sha256& request_hash, int64_t ttl_seconds);

// Stores the response of a request begun with beginIdempotent().
void finishIdempotent(store::Conn& c, const std::string& scope, const std::string& key,
                      const StoredResponse& response);

// Forgets a begun request (it failed on our side, so it may be retried).
void forgetIdempotent(store::Conn& c, const std::string& scope, const std::string& key);

}  // namespace aigate::credits
