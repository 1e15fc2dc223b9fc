// A fake of Replicate's predictions API (HTTP API v1, the wire format of the
// `replicate` npm client 1.4.0), for the replicate plugin's integration
// tests, on FakeServer:
//
//   POST /v1/models/{owner}/{name}/predictions  {input}  (the official models below)
//   POST /v1/predictions                        {version, input}  (kHelloVersion only)
//       → 201 a Prediction {id, model, version, input, logs, output: null, error: null,
//                           status: "starting", created_at, urls: {get, cancel, stream}}
//   GET  /v1/predictions/{id}         → "starting" on the first poll, "processing" (logs with
//          a percentage) until setPollsBeforeDone polls in all, then "succeeded" with
//          output (images: [<baseUrl>/files/<id>/out-0.png]; videos: <baseUrl>/files/<id>/
//          output.mp4) and metrics, or "failed" with setFailure's error
//   POST /v1/predictions/{id}/cancel  → 200 the Prediction, "canceled" (unless already final)
//   GET  /files/{id}/{file}           → the image/video bytes, no auth (replicate.delivery)
//
// As Replicate: every /v1 route needs "Authorization: Bearer <the token>"
// (else 401); errors are application/problem+json {"title", "detail",
// "status"}; an input the model does not take is 422 with "invalid_fields";
// an unknown model is 404, an unknown version 422. Official models known:
// black-forest-labs/flux-schnell and flux-dev (images, 11 aspect ratios),
// bytedance/seedance-1-lite (videos, 7 aspect ratios, duration 2..12).
// Every method is thread-safe.
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

class FakeReplicateApi {
 public:
  // A version id the fake knows (replicate/hello-world, an image model).
  static constexpr const char* kHelloVersion =
      "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa";

  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_token` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeReplicateApi(std::string api_token, uint16_t port = 0);
  ~FakeReplicateApi();
  FakeReplicateApi(const FakeReplicateApi&) = delete;
  FakeReplicateApi& operator=(const FakeReplicateApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);  // polls answered before the final one (default 2)
  // Predictions end "failed" with `error` (e.g. "NSFW content detected…");
  // "" = they succeed.
  void setFailure(std::string error);
  void setImage(std::string bytes);  // default samples::png(1024, 1024)
  void setVideo(std::string bytes);  // default samples::mp4()
  // The next `count` requests answer `status` with `body` (problem+json by
  // default) and `headers` (e.g. {{"Retry-After", "1"}}).
  void failNext(int count, int status,
                std::string body = R"({"title":"Injected","detail":"injected","status":500})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;                    // POSTs that create a prediction
  int polls() const;                      // GET /v1/predictions/{id}
  int cancels() const;                    // POST /v1/predictions/{id}/cancel
  int downloads() const;                  // GET /files/...
  int unauthorized() const;               // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last /v1 request
  std::string lastPrefer() const;         // Prefer header of the last submission
  std::string lastSubmitPath() const;     // the path of the last submission
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Prediction {
    nlohmann::json body;  // what GET answers, updated as it walks
    std::string kind;     // "image" or "video"
    int polls = 0;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request, const std::string& model);
  FakeResponse poll(const std::string& id);
  FakeResponse cancel(const std::string& id);
  FakeResponse download(const std::string& id, const std::string& file);
  // REQUIRES: mutex_ held. Moves `p` on by one poll.
  void advance(const std::string& id, Prediction& p);

  const std::string api_token_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  std::string failure_;
  std::string image_;
  std::string video_;
  std::map<std::string, Prediction> predictions_;
  int next_id_ = 1;
  int unauthorized_ = 0;
  std::string last_authorization_;
  std::string last_prefer_;
  std::string last_submit_path_;
  nlohmann::json last_submit_body_;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
