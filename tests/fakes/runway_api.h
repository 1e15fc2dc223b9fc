// A fake of Runway's API, version 2024-11-06 (the wire format of the
// @runwayml/sdk 4.20.1 types), for the runwayml plugin's integration tests, on
// FakeServer:
//
//   POST   /v1/text_to_video   {model: gen4.5 | veo3.1 | veo3.1_fast, promptText, ratio,
//                               duration, seed?}
//   POST   /v1/image_to_video  {model: … | gen4_turbo, promptImage, promptText?, ratio,
//                               duration, seed?}
//       → 200 {id, estimatedCost: {credits}}
//   GET    /v1/tasks/{id}      → the task: THROTTLED for the first setThrottledPolls polls,
//          then PENDING once, RUNNING {progress} until setPollsBeforeDone polls in all,
//          then SUCCEEDED {output: [<baseUrl>/files/<id>.mp4], cost} or FAILED {failure,
//          failureCode, cost}; CANCELLED once deleted
//   DELETE /v1/tasks/{id}      → 204 (cancels a running task); unknown id → 404
//   GET    /files/{id}.mp4     → the video bytes, no auth (Runway's CDN)
//
// As Runway: every /v1 route needs "Authorization: Bearer <the key>" (else 401
// {"error": "…"}) and "X-Runway-Version: 2024-11-06" (else 400); a body the
// model does not take is 400 {"error": "…", "issues": [{"path", "message"}]}.
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

class FakeRunwayApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeRunwayApi(std::string api_key, uint16_t port = 0);
  ~FakeRunwayApi();
  FakeRunwayApi(const FakeRunwayApi&) = delete;
  FakeRunwayApi& operator=(const FakeRunwayApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);  // polls answered before the final one (default 2)
  void setThrottledPolls(int n);   // first polls of each task answered THROTTLED (default 0)
  // Tasks end FAILED with `failure_code` (e.g. "SAFETY.INPUT.TEXT") and
  // `failure`; "" = they succeed.
  void setFailure(std::string failure_code, std::string failure = "");
  void setVideo(std::string bytes);  // default samples::mp4()
  // The next `count` requests answer `status` with `body` (Runway's
  // {"error"} shape by default) and `headers` (e.g. {{"Retry-After", "1"}}).
  void failNext(int count, int status, std::string body = R"({"error":"injected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;                    // POST /v1/text_to_video and /v1/image_to_video
  int polls() const;                      // GET /v1/tasks/{id}
  int cancels() const;                    // DELETE /v1/tasks/{id}
  int downloads() const;                  // GET /files/...
  int unauthorized() const;               // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last /v1 request
  std::string lastVersion() const;        // X-Runway-Version of the last /v1 request
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Task {
    std::string created_at;
    int polls = 0;
    bool cancelled = false;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request, bool with_image);
  FakeResponse poll(const std::string& id);
  FakeResponse cancel(const std::string& id);
  FakeResponse download(const std::string& file);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  int throttled_polls_ = 0;
  std::string failure_code_;
  std::string failure_;
  std::string video_;
  std::map<std::string, Task> tasks_;
  int next_id_ = 1;
  int unauthorized_ = 0;
  std::string last_authorization_;
  std::string last_version_;
  nlohmann::json last_submit_body_;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
