// A fake of MiniMax's video generation API v1 (api.minimax.io) for the
// minimax plugin's integration tests, on FakeServer:
//
//   POST /v1/video_generation {model, prompt, duration?, resolution?, prompt_optimizer?}
//     → {task_id, base_resp: {status_code: 0, status_msg: "success"}}
//   GET  /v1/query/video_generation?task_id=…
//     → {task_id, status: "Queueing" (first poll), "Processing" (until
//        setPollsBeforeDone polls), then "Success" with file_id, video_width,
//        video_height, or "Fail"; base_resp}
//   GET  /v1/files/retrieve?file_id=…
//     → {file: {file_id, bytes, created_at, filename, purpose: "video_generation",
//        download_url}, base_resp}
//   GET  /cdn/{file_id}.mp4 → the MP4, no auth (MiniMax's pre-signed links)
//
// As MiniMax: errors come back with HTTP 200 and a non-zero
// base_resp.status_code: a wrong or missing "Authorization: Bearer" key is
// 1004, invalid parameters 2013, a sensitive prompt (setSensitivePrompt) 1026,
// a rate limit (rateLimitNext) 1002. Every method is thread-safe.
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

class FakeMinimaxApi {
 public:
  explicit FakeMinimaxApi(std::string api_key, uint16_t port = 0);
  ~FakeMinimaxApi();
  FakeMinimaxApi(const FakeMinimaxApi&) = delete;
  FakeMinimaxApi& operator=(const FakeMinimaxApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  void setPollsBeforeDone(int n);       // non-final answers per task (default 2)
  void setSensitivePrompt(bool on);     // submissions answer 1026
  void setTaskFailure(std::string msg); // tasks end "Fail" ("" = they succeed)
  void rateLimitNext(int count);        // the next submissions answer 1002
  void setVideo(std::string bytes);     // default samples::mp4()
  void failNext(int count, int status, std::string body, FakeHeaders headers = {});
  void setGarbage(bool on);  // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);

  int submits() const;
  int polls() const;
  int retrieves() const;
  int downloads() const;
  int refusedKeys() const;
  std::vector<std::string> log() const;
  std::string lastAuthorization() const;  // of the last /v1 request
  nlohmann::json lastSubmitBody() const;

  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Task {
    std::string model;
    std::string resolution;
    int polls = 0;
  };

  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request);
  FakeResponse query(const std::string& task_id);
  FakeResponse retrieve(const std::string& file_id);
  FakeResponse download(const std::string& file);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  bool sensitive_ = false;
  std::string task_failure_;
  int rate_limited_ = 0;
  std::string video_;
  std::map<std::string, Task> tasks_;  // task id → task; file id = "9" + task id
  int next_id_ = 1;
  int refused_ = 0;

  FakeServer server_;  // last: destroyed first
};

}  // namespace aigate::testing
