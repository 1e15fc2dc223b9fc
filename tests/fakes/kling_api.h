// A fake of the Kling AI API (v1 task endpoints, the wire format of Kling's
// API reference) for the kling plugin's integration tests, on FakeServer:
//
//   POST /v1/images/generations  {model_name?, prompt, negative_prompt?, aspect_ratio?, n?,
//                                 resolution?, callback_url?}
//   POST /v1/videos/text2video   {model_name?, prompt, negative_prompt?, cfg_scale?, mode?,
//                                 aspect_ratio?, duration?: "5" | "10", callback_url?}
//       → 200 {code: 0, message: "SUCCEED", request_id, data: {task_id,
//              task_status: "submitted", created_at, updated_at}}
//   GET  /v1/images/generations/{task_id}
//   GET  /v1/videos/text2video/{task_id}
//       → data.task_status "submitted" on the first poll, "processing" until
//         setPollsBeforeDone polls, then "succeed" with task_result {images:
//         [{index, url}]} or {videos: [{id, url, duration}]}, or "failed" with
//         task_status_msg
//   GET  /files/{task_id}.{png,mp4}  → the output bytes, no auth (Kling's CDN)
//
// As Kling: every /v1 route needs "Authorization: Bearer <JWT>", an HS256 JWT
// whose signature verifies with the secret key, whose iss is the access key
// and whose nbf/exp hold now (else HTTP 401 with code 1001 empty, 1002
// malformed, 1000 bad signature or issuer, 1003 not yet valid, 1004 expired).
// A bad body is HTTP 400 code 1201 ("… is invalid"), an unknown model 1203, a
// prompt holding the risky word 400 code 1301. Every method is thread-safe.
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

class FakeKlingApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting JWTs issued by
  // `access_key` and signed with `secret_key` only. Throws std::runtime_error
  // if it cannot listen.
  FakeKlingApi(std::string access_key, std::string secret_key, uint16_t port = 0);
  ~FakeKlingApi();
  FakeKlingApi(const FakeKlingApi&) = delete;
  FakeKlingApi& operator=(const FakeKlingApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);  // non-final answers per task (default 2)
  // Tasks end "failed" with `reason` (e.g. "Failure to pass the risk control
  // system"); "" = they succeed.
  void setFailureReason(std::string reason);
  // Submissions whose prompt contains `word` are refused with code 1301
  // (content security); "" = none.
  void setRiskyWord(std::string word);
  void setImage(std::string bytes);  // default a 64x64 PNG
  void setVideo(std::string bytes);  // default samples::mp4()
  // The next `count` requests answer `status` with `body` (Kling's {code,
  // message, request_id} shape by default) and `headers`.
  void failNext(int count, int status,
                std::string body = R"({"code":5000,"message":"injected","request_id":"r"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;       // POST /v1/images/generations, /v1/videos/text2video
  int polls() const;         // GET of a task
  int downloads() const;     // GET /files/...
  int unauthorized() const;  // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last /v1 request
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Task {
    std::string kind;  // "image" or "video"
    nlohmann::json request;
    int64_t created_at = 0;
    int polls = 0;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  // Why `authorization` is refused ({code, message}), or code 0 when it is good.
  std::pair<int, std::string> checkToken(const std::string& token) const;
  FakeResponse submit(const FakeRequest& request, const std::string& kind);
  FakeResponse poll(const std::string& kind, const std::string& id);
  FakeResponse download(const std::string& file);
  // REQUIRES: mutex_ held
  nlohmann::json describe(const std::string& id, const Task& task, const std::string& status);

  const std::string access_key_;
  const std::string secret_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  std::string failure_reason_;
  std::string risky_word_;
  std::string image_;
  std::string video_;
  std::map<std::string, Task> tasks_;
  int next_id_ = 1;
  int unauthorized_ = 0;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
