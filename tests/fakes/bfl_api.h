// A fake of Black Forest Labs' FLUX API v1 (the wire format of
// api.bfl.ai/openapi.json, docs.bfl.ai) for the bfl plugin's integration
// tests, on FakeServer:
//
//   POST /v1/{model}             {prompt, width?, height?, aspect_ratio?, seed?,
//                                 output_format?, safety_tolerance?, …}
//       → 200 {id, polling_url: "<base>/v1/get_result?id=<id>"}
//   GET  /v1/get_result?id=<id>  → {id, status: "Pending" (setPollsBeforeDone times,
//                                   with progress), then "Ready" with result {sample,
//                                   prompt, seed, start_time, end_time, duration}, or
//                                   "Request Moderated" / "Content Moderated" / "Error"},
//                                   "Task not found" for an unknown id
//   GET  /delivery/{id}/sample.{jpeg,png}  → the image, no auth (BFL's signed
//                                   delivery URLs)
//
// As BFL: /v1 routes need "x-key: <the key>" (missing: 403 {"detail": "Not
// authenticated"}; wrong: 403 {"detail": "Invalid API key"}); a bad body is
// FastAPI's 422 {"detail": [{"loc", "msg", "type"}]}: width/height multiples
// of 32 in 256..1440 (flux-pro-1.1, flux-pro, flux-dev), aspect_ratio from
// 21:9 to 9:21 (ultra, kontext), output_format jpeg|png, safety_tolerance 0..6.
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

class FakeBflApi {
 public:
  explicit FakeBflApi(std::string api_key, uint16_t port = 0);
  ~FakeBflApi();
  FakeBflApi(const FakeBflApi&) = delete;
  FakeBflApi& operator=(const FakeBflApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  void setPollsBeforeDone(int n);  // "Pending" answers per task (default 2)
  // Tasks end with this status instead of "Ready" (e.g. "Content Moderated",
  // "Request Moderated", "Error"); "" = Ready.
  void setFinalStatus(std::string status);
  void setImage(std::string bytes);  // default a 64x64 PNG served whatever the format
  void failNext(int count, int status, std::string body = R"({"detail":"injected"})",
                FakeHeaders headers = {});
  void setGarbage(bool on);  // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);
  void setResponseDelayMs(int ms);

  int submits() const;    // POST /v1/{model}
  int polls() const;      // GET /v1/get_result
  int downloads() const;  // GET /delivery/...
  int unauthorized() const;
  std::vector<std::string> log() const;
  std::string lastKey() const;            // x-key of the last /v1 request
  std::string lastSubmitPath() const;     // e.g. "/v1/flux-pro-1.1"
  nlohmann::json lastSubmitBody() const;  // null if none

  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Task {
    nlohmann::json request;
    std::string format;
    int polls = 0;
  };
  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse submit(const FakeRequest& request, const std::string& model);
  FakeResponse result(const std::string& id);
  FakeResponse download(const std::string& id, const std::string& file);

  const std::string api_key_;
  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  std::string final_status_;
  std::string image_;
  std::map<std::string, Task> tasks_;
  int next_id_ = 1;
  int unauthorized_ = 0;

  FakeServer server_;
};

}  // namespace aigate::testing
