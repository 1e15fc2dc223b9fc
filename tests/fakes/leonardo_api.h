// A fake of the Leonardo.Ai REST API v1 (docs.leonardo.ai: Create a
// Generation of Images, Get a Single Generation, Delete a Single Generation)
// for the leonardo plugin's integration tests, on FakeServer:
//
//   POST   /api/rest/v1/generations       {prompt, modelId?, width?, height? (multiples of 8,
//                                          32..1536), num_images? (1..8), seed?, contrast?
//                                          (3 | 3.5 | 4, required by Phoenix/Lucid), alchemy?}
//       → 200 {sdGenerationJob: {generationId, apiCreditCost}}
//   GET    /api/rest/v1/generations/{id}  → 200 {generations_by_pk: {id, status, generated_images,
//          modelId, prompt, imageWidth, imageHeight, seed, …}}: "PENDING" for
//          setPollsBeforeDone polls, then "COMPLETE" with one image (nsfw per
//          setNsfw) or "FAILED"; {generations_by_pk: null} for an unknown id
//   DELETE /api/rest/v1/generations/{id}  → 200 {delete_generations_by_pk: {id}}; gone after
//   GET    /cdn/generations/{id}/{file}   the image bytes, no auth (Leonardo's CDN)
//
// As Leonardo: every /api route needs "Authorization: Bearer <the key>" (else
// 401 {"error": "Invalid or expired API key", "path": "$", "code":
// "access-denied"}); a bad body is 400 {"error", "path", "code": "invalid-input"};
// moderation refusing the prompt is 400 {"error": "…content moderation
// filter…", "code": "content_moderation"}. Every method is thread-safe.
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

class FakeLeonardoApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeLeonardoApi(std::string api_key, uint16_t port = 0);
  ~FakeLeonardoApi();
  FakeLeonardoApi(const FakeLeonardoApi&) = delete;
  FakeLeonardoApi& operator=(const FakeLeonardoApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>/api/rest/v1".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);       // PENDING answers per generation (default 1)
  void setModerationRejection(bool on); // submissions answer 400 content_moderation
  void setNsfw(bool on);                // completed images carry "nsfw": true
  void setFailed(bool on);              // generations end "FAILED"
  void setImage(std::string bytes, std::string mime);  // default a 64x64 PNG
  // The next `count` requests answer `status` with `body` and `headers`.
  void failNext(int count, int status,
                std::string body = R"({"error":"injected","path":"$","code":"unexpected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // API routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;       // POST /generations
  int polls() const;         // GET /generations/{id}
  int deletes() const;       // DELETE /generations/{id}
  int downloads() const;     // GET /cdn/...
  int unauthorized() const;  // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last API request
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Generation {
    nlohmann::json request;
    int polls = 0;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request);
  FakeResponse poll(const std::string& id);
  FakeResponse remove(const std::string& id);
  FakeResponse download(const std::string& id, const std::string& file);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 1;
  bool moderation_ = false;
  bool nsfw_ = false;
  bool failed_ = false;
  bool garbage_ = false;
  std::string image_;
  std::string image_mime_ = "image/png";
  std::map<std::string, Generation> generations_;
  int next_id_ = 1;
  int unauthorized_ = 0;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
