// The generation path shared by POST /api/v1/generate/{image,video} and the
// OpenAI-compatible POST /v1/images/generations (internal to core/api): a
// checked request, the library-first decision, and the jobs that generate
// what the library cannot answer. The endpoints read their own bodies and
// write their own replies; both charge and hold what planGeneration() plans
// in one store write.
//
// Threading: everything here runs on a server thread and only reads the store.
#pragma once

#include "config/config.h"
#include "core/api/app.h"
#include "core/api/user_json.h"
#include "core/credits/ledger.h"
#include "core/jobs/job.h"
#include "core/library/matcher.h"
#include "routing/router.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aigate::api {

// Prompts are 1 to this many characters (UTF-8 code points).
inline constexpr size_t kMaxPromptChars = 4000;

// A generation request whose fields were read and checked.
struct GenerateRequest {
  std::string prompt;
  std::string aspect_ratio = "1:1";
  std::optional<std::string> topic;
  routing::Hints hints;  // provider, model, routing{strategy, allow, exclude, max_credits}
  std::optional<int64_t> seed;
  bool force_gen = false;
  bool async = false;
  std::optional<int> wait_s;
  std::optional<std::string> webhook_url;  // vetted by the SSRF guard
};

// One result a request asks for: a library asset, charged at the library
// price, or a job not created yet, whose cost is held when it is.
struct PlannedResult {
  std::optional<library::Match> match;
  std::optional<jobs::Job> job;
};

// Library first: `count` results for `request`. Distinct library assets that
// score at least library.match_threshold come first, best first (none with
// force_gen); every result left is a job through the provider chain the
// routing rules choose, each with its own seed. Errors: 400 for an unknown or
// unfit `provider` or routing hint, 503 generation_unavailable when a job is
// needed and no provider can make it.
Result<std::vector<PlannedResult>> planGeneration(Context& ctx, const std::string& kind,
                                                  const GenerateRequest& request, size_t count);

// 400 invalid_request (field prompt) for a prompt over kMaxPromptChars.
Status checkPromptLength(const std::string& prompt);

// 403 video_not_included when the caller's tier may not have `kind`.
std::optional<Error> refuseKind(const Context& ctx, const std::string& kind);

// What a library answer of `kind` costs.
int64_t libraryPrice(const config::Config& cfg, const std::string& kind);

// Charges `user_id` the library price of `asset_id` (a `kind`), counted as a
// library hit. REQUIRES a store write.
Result<credits::Balance> chargeLibraryAsset(store::Conn& c, const std::string& user_id,
                                            int64_t price, const std::string& request_id,
                                            const std::string& asset_id, const std::string& kind);

}  // namespace aigate::api
