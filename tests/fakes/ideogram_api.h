// A fake of the Ideogram API (developer.ideogram.ai, v3 and legacy generate)
// for the ideogram plugin's integration tests, on FakeServer:
//
//   POST /v1/ideogram-v3/generate   multipart/form-data: prompt (required), aspect_ratio?
//                                   ("1x1", "16x9"…), rendering_speed? (TURBO | DEFAULT |
//                                   QUALITY | FLASH), seed? (0..2147483647), num_images? (1..8)
//   POST /generate                  JSON {"image_request": {prompt, aspect_ratio? ("ASPECT_16_9"…),
//                                   model? ("V_2"…), seed?, num_images?}}
//       → 200 {created, data: [{url, prompt, resolution, is_image_safe, seed, style_type}]},
//         synchronously (after setResponseDelayMs, if any)
//   GET  /api/images/ephemeral/{n}.png   the image bytes, no auth (Ideogram's expiring URLs)
//
// As Ideogram: every generate route needs "Api-Key: <the key>" (else 401
// {"error": "Unauthorized"}); a bad body is 400 {"error": "…"}; the safety
// check rejecting a prompt is 422 {"error": "Prompt or provided image failed
// the safety checks"}; an image withheld after generation comes back with
// "is_image_safe": false and no url. Every method is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_server.h"

namespace aigate::testing {

class FakeIdeogramApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeIdeogramApi(std::string api_key, uint16_t port = 0);
  ~FakeIdeogramApi();
  FakeIdeogramApi(const FakeIdeogramApi&) = delete;
  FakeIdeogramApi& operator=(const FakeIdeogramApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setSafetyRejection(bool on);  // generate answers 422 (the prompt safety check)
  void setUnsafeImage(bool on);      // generate answers 200 with is_image_safe: false
  void setImage(std::string bytes);  // default samples::png(64, 64)
  // The next `count` requests answer `status` with `body` and `headers`.
  void failNext(int count, int status, std::string body = R"({"error":"injected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // generate routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int v3Generates() const;      // POST /v1/ideogram-v3/generate
  int legacyGenerates() const;  // POST /generate
  int downloads() const;        // GET /api/images/ephemeral/...
  int unauthorized() const;     // requests refused with 401
  std::vector<std::string> log() const;  // "METHOD /path" of every request, in order
  std::string lastApiKey() const;        // Api-Key of the last generate request
  // The fields of the last generate request: the multipart fields (v3) or
  // the image_request members as strings (legacy).
  std::map<std::string, std::string> lastFields() const;

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse generateV3(const FakeRequest& request);
  FakeResponse generateLegacy(const FakeRequest& request);
  // Checks the common fields; answers the image or the refusal.
  FakeResponse generate(const std::map<std::string, std::string>& fields,
                        const std::string& resolution, const std::string& style);
  FakeResponse download(const std::string& file);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  bool safety_rejection_ = false;
  bool unsafe_image_ = false;
  bool garbage_ = false;
  std::string image_;
  int next_image_ = 1;
  int unauthorized_ = 0;
  std::map<std::string, std::string> last_fields_;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

// The fields of a multipart/form-data `body` whose Content-Type is
// `content_type`; false when it is not well-formed multipart.
bool parseMultipart(const std::string& content_type, const std::string& body,
                    std::map<std::string, std::string>* fields);

}  // namespace aigate::testing
