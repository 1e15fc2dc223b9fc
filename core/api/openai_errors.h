// OpenAI's error shape for the OpenAI-compatible API under /v1/, so that
// OpenAI clients surface the gateway's errors as their own typed errors:
//
//   {"error": {"message": "…", "type": "insufficient_quota", "param": null,
//              "code": "insufficient_credits", "credits_needed": 10, …},
//    "credits_balance": 3}
//
// The status stays the gateway's (API.md), `code` is the gateway's stable
// code, `type` is OpenAI's class of error, `param` the offending field, and
// the other context fields of the error stay inside the error object.
#pragma once

#include "core/api/http_types.h"

#include <string_view>

namespace aigate::api {

// True for a path of the OpenAI-compatible API ("/v1/…").
bool isOpenAiPath(std::string_view path);

// OpenAI's error type for a gateway error: invalid_request_error,
// insufficient_quota, rate_limit_error, server_error or
// service_unavailable_error.
std::string_view openAiErrorType(int status);

// Rewrites an error reply in the gateway's flat shape into OpenAI's; leaves
// every other reply (and one already rewritten) as it is. A 502
// upstream_error also gets `x-should-retry: false`: sending the same prompt
// again fails again upstream.
void toOpenAiShape(Reply& reply);

}  // namespace aigate::api
