// A fake of fal.ai's queue API (queue.fal.run, as @fal-ai/client 1.10 speaks
// it) for the fal and pika plugins' integration tests, on FakeServer:
//
//   POST /{model_id}                          the model's input
//       → 200 {request_id, response_url, status_url, cancel_url, queue_position}
//   GET  /{app_id}/requests/{id}/status       → 202 {status: "IN_QUEUE", queue_position}
//          on the first poll, "IN_PROGRESS" until setPollsBeforeDone polls, then
//          200 {status: "COMPLETED"}
//   GET  /{app_id}/requests/{id}              → the output once completed (else 400):
//          video models (ids with "video" or "pika") {video: {url, content_type}},
//          image models {images: [{url, width, height, content_type}],
//          has_nsfw_concepts: [false]}; or the content-policy 422
//   PUT  /{app_id}/requests/{id}/cancel       → 202 {status: "CANCELLATION_REQUESTED"},
//          400 {status: "ALREADY_COMPLETED"} once completed
//   GET  /files/{id}.{png,mp4}                → the output bytes, no auth (fal.media)
//
// The app id is the model id's first two segments: status, result and cancel
// on any other path are 404, as on fal. As fal: every queue route needs
// "Authorization: Key <the key>" (else 401 {"detail"}); a submission whose
// prompt is missing or empty, or (image models) whose image_size is not one of
// fal's enums, or (pika) whose aspect_ratio / duration / resolution is not one
// Pika takes, is FastAPI's 422 {"detail": [{loc, msg, type}]}. Thread-safe.
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

class FakeFalApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  // Throws std::runtime_error if it cannot listen.
  explicit FakeFalApi(std::string api_key, uint16_t port = 0);
  ~FakeFalApi();
  FakeFalApi(const FakeFalApi&) = delete;
  FakeFalApi& operator=(const FakeFalApi&) = delete;

  // The plugins' base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);  // non-COMPLETED status answers per request (default 2)
  // Results are the content-policy 422 (content_policy_violation) when on.
  void setContentPolicy(bool on);
  void setImage(std::string bytes);  // a PNG; default samples::png(64, 64)
  void setVideo(std::string bytes);  // default samples::mp4()
  // The next `count` requests answer `status` with `body` and `headers`.
  void failNext(int count, int status, std::string body = R"({"detail":"injected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);         // queue routes answer 200 "<html>not json"
  void setHang(bool on);            // requests are read, never answered
  void setResponseDelayMs(int ms);  // every answer waits this long first

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;                    // POST /{model_id}
  int statusPolls() const;                // GET …/requests/{id}/status
  int results() const;                    // GET …/requests/{id}
  int cancels() const;                    // PUT …/requests/{id}/cancel
  int downloads() const;                  // GET /files/…
  int unauthorized() const;               // requests refused with 401
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization of the last queue request
  std::string lastSubmitPath() const;     // the path of the last submission ("" if none)
  nlohmann::json lastSubmitBody() const;  // the body of the last submission (null if none)

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Request {
    std::string model;
    std::string app;
    bool video = false;
    int polls = 0;
    bool canceled = false;
  };

  FakeResponse route(const FakeRequest& request);
  FakeResponse submit(const std::string& model, const FakeRequest& request);
  FakeResponse status(const std::string& app, const std::string& id);
  FakeResponse result(const std::string& app, const std::string& id);
  FakeResponse cancel(const std::string& app, const std::string& id);
  FakeResponse download(const std::string& file);
  // REQUIRES: mutex_ held
  bool completed(const Request& r) const;

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  bool content_policy_ = false;
  std::string image_;
  std::string video_;
  std::map<std::string, Request> requests_;
  int next_id_ = 1;
  int unauthorized_ = 0;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
