// A fake of Luma AI's Dream Machine API v1 (the wire format of the `lumaai`
// SDK 1.19 types) for the luma plugin's integration tests, on FakeServer:
//
//   POST   /dream-machine/v1/generations/image  {prompt, model: photon-1 | photon-flash-1,
//                                                aspect_ratio?, format?: jpg | png}
//   POST   /dream-machine/v1/generations/video  {prompt, model: ray-2 | ray-flash-2,
//   POST   /dream-machine/v1/generations         aspect_ratio?, resolution?, duration?, loop?}
//       → 201 Generation {id, generation_type, state: "queued", failure_reason: null,
//                         created_at, assets: null, model, request}
//   GET    /dream-machine/v1/generations/{id}    → the Generation: "queued" on the first
//          poll, "dreaming" until setPollsBeforeDone polls, then "completed" with
//          assets {image} (or {video, image}) or "failed" with the failure_reason
//   DELETE /dream-machine/v1/generations/{id}    → 204; the generation is gone (404 after)
//   GET    /files/{id}.{jpg,png,mp4}             → the asset bytes, no auth (Luma's CDN)
//
// As Luma: every /dream-machine route needs "Authorization: Bearer <the key>"
// (else 401 {"detail": "Invalid API key provided"}); a bad body is 400
// {"detail": "Prompt is too short, …"} or FastAPI's 422 {"detail": [{"loc",
// "msg", "type"}]}. Every method is thread-safe. The official lumaai 1.19.1
// client, pointed at it (baseURL), walks image and video generations, delete
// and every error class as it does against Luma.
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

class FakeLumaApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeLumaApi(std::string api_key, uint16_t port = 0);
  ~FakeLumaApi();
  FakeLumaApi(const FakeLumaApi&) = delete;
  FakeLumaApi& operator=(const FakeLumaApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>/dream-machine/v1".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);  // non-final answers per generation (default 2)
  // Generations end "failed" with `reason` (e.g. "Advanced prompt moderation
  // failed"); "" = they complete.
  void setFailureReason(std::string reason);
  void setImage(std::string bytes, std::string mime);  // default a 64x64 PNG
  void setVideo(std::string bytes);                    // default samples::mp4()
  // The next `count` requests answer `status` with `body` (Luma's
  // {"detail"} shape by default) and `headers` (e.g. {{"Retry-After", "1"}}).
  void failNext(int count, int status, std::string body = R"({"detail":"injected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // API routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;       // POST /generations, /generations/image, /generations/video
  int polls() const;         // GET /generations/{id}
  int deletes() const;       // DELETE /generations/{id}
  int downloads() const;     // GET /files/...
  int unauthorized() const;  // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last API request
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Generation {
    std::string kind;  // "image" or "video"
    nlohmann::json request;
    std::string created_at;
    int polls = 0;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request, const std::string& kind);
  FakeResponse poll(const std::string& id);
  FakeResponse remove(const std::string& id);
  FakeResponse download(const std::string& file);
  // REQUIRES: mutex_ held
  nlohmann::json describe(const std::string& id, const Generation& g, const std::string& state);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  std::string failure_reason_;
  std::string image_;
  std::string image_mime_ = "image/png";
  std::string video_;
  std::map<std::string, Generation> generations_;
  int next_id_ = 1;
  int unauthorized_ = 0;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
