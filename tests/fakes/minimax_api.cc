#include "tests/fakes/minimax_api.h"

#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

json baseResp(int code, const std::string& message) {
  return {{"status_code", code}, {"status_msg", message}};
}

// MiniMax refuses with HTTP 200 and a base_resp.
FakeResponse refusal(int code, const std::string& message, json extra = json::object()) {
  extra["base_resp"] = baseResp(code, message);
  return jsonResponse(200, extra);
}

}  // namespace

FakeMinimaxApi::FakeMinimaxApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", "/v1/video_generation",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r); });
                      })
                  .on("GET", "/v1/query/video_generation",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return query(r.queryParam("task_id")); });
                      })
                  .on("GET", "/v1/files/retrieve",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return retrieve(r.queryParam("file_id")); });
                      })
                  .on("GET", "/cdn/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("file"));
                      }),
              port) {}

FakeMinimaxApi::~FakeMinimaxApi() = default;

std::string FakeMinimaxApi::baseUrl() const { return server_.baseUrl(); }

FakeResponse FakeMinimaxApi::guarded(const FakeRequest& request,
                                     const std::function<FakeResponse()>& route) {
  if (request.bearerToken() != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++refused_;
    return refusal(1004, "login fail: Please carry the API secret key in the 'Authorization' "
                         "field of the request header");
  }
  return route();
}

FakeResponse FakeMinimaxApi::submit(const FakeRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return refusal(2013, "invalid params, request body is not json");
  static const std::set<std::string> kModels = {"MiniMax-Hailuo-2.3", "MiniMax-Hailuo-02",
                                                "T2V-01-Director", "T2V-01"};
  const std::string model = body.value("model", std::string());
  if (!kModels.count(model)) return refusal(2013, "invalid params, model is not supported");
  const json& prompt = body.value("prompt", json());
  if (!prompt.is_string() || prompt.get<std::string>().empty() ||
      prompt.get<std::string>().size() > 2000)
    return refusal(2013, "invalid params, prompt length should be in [1, 2000]");
  std::string resolution = model.rfind("MiniMax-Hailuo-", 0) == 0 ? "768P" : "720P";
  int duration = 6;
  if (body.contains("resolution")) {
    if (!body["resolution"].is_string()) return refusal(2013, "invalid params, resolution");
    resolution = body["resolution"].get<std::string>();
    if (model.rfind("MiniMax-Hailuo-", 0) == 0 ? (resolution != "768P" && resolution != "1080P")
                                               : resolution != "720P")
      return refusal(2013, "invalid params, resolution " + resolution + " is not supported");
  }
  if (body.contains("duration")) {
    if (!body["duration"].is_number_integer()) return refusal(2013, "invalid params, duration");
    duration = body["duration"].get<int>();
    if (duration != 6 && duration != 10)
      return refusal(2013, "invalid params, duration should be 6 or 10");
  }
  if (duration == 10 && resolution != "768P")
    return refusal(2013, "invalid params, 10s videos support 768P only");
  std::lock_guard<std::mutex> lock(mutex_);
  if (rate_limited_ > 0) {
    --rate_limited_;
    return refusal(1002, "rate limit exceeded, please retry later");
  }
  if (sensitive_) return refusal(1026, "input new_sensitive");
  const std::string id = std::to_string(106916112212000 + next_id_++);
  tasks_[id] = {model, resolution, 0};
  return jsonResponse(200, {{"task_id", id}, {"base_resp", baseResp(0, "success")}});
}

FakeResponse FakeMinimaxApi::query(const std::string& task_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return refusal(2013, "invalid params, task not found");
  Task& t = it->second;
  if (t.polls < polls_before_done_) {
    const std::string status = t.polls == 0 ? "Queueing" : "Processing";
    ++t.polls;
    return jsonResponse(200, {{"task_id", task_id},
                              {"status", status},
                              {"file_id", ""},
                              {"base_resp", baseResp(0, "success")}});
  }
  if (!task_failure_.empty())
    return jsonResponse(200, {{"task_id", task_id},
                              {"status", "Fail"},
                              {"file_id", ""},
                              {"base_resp", baseResp(0, task_failure_)}});
  const bool full_hd = t.resolution == "1080P";
  const bool hd = t.resolution == "720P";
  return jsonResponse(200, {{"task_id", task_id},
                            {"status", "Success"},
                            {"file_id", "9" + task_id},
                            {"video_width", full_hd ? 1920 : hd ? 1280 : 1366},
                            {"video_height", full_hd ? 1080 : hd ? 720 : 768},
                            {"base_resp", baseResp(0, "success")}});
}

FakeResponse FakeMinimaxApi::retrieve(const std::string& file_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_id.size() < 2 || !tasks_.count(file_id.substr(1)))
    return refusal(1013, "file not found");
  return jsonResponse(
      200, {{"file",
             {{"file_id", std::stoll(file_id)},
              {"bytes", video_.size()},
              {"created_at", 1764144000},
              {"filename", "output.mp4"},
              {"purpose", "video_generation"},
              {"download_url", server_.baseUrl() + "/cdn/" + file_id + ".mp4?Expires=1764147600"}}},
            {"base_resp", baseResp(0, "success")}});
}

FakeResponse FakeMinimaxApi::download(const std::string& file) {
  const auto dot = file.rfind(".mp4");
  std::lock_guard<std::mutex> lock(mutex_);
  if (dot == std::string::npos || dot < 2 || !tasks_.count(file.substr(1, dot - 1)))
    return {404, "<Error><Code>NoSuchKey</Code></Error>", "application/xml", {}, false};
  return {200, video_, "video/mp4", {}, false};
}

void FakeMinimaxApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}
void FakeMinimaxApi::setSensitivePrompt(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  sensitive_ = on;
}
void FakeMinimaxApi::setTaskFailure(std::string msg) {
  std::lock_guard<std::mutex> lock(mutex_);
  task_failure_ = std::move(msg);
}
void FakeMinimaxApi::rateLimitNext(int count) {
  std::lock_guard<std::mutex> lock(mutex_);
  rate_limited_ = count;
}
void FakeMinimaxApi::setVideo(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  video_ = std::move(bytes);
}
void FakeMinimaxApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeMinimaxApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeMinimaxApi::setHang(bool on) { server_.setHang(on); }

int FakeMinimaxApi::submits() const { return server_.count("POST", "/v1/video_generation"); }
int FakeMinimaxApi::polls() const { return server_.count("GET", "/v1/query/video_generation"); }
int FakeMinimaxApi::retrieves() const { return server_.count("GET", "/v1/files/retrieve"); }
int FakeMinimaxApi::downloads() const { return server_.count("GET", "/cdn/{file}"); }
int FakeMinimaxApi::refusedKeys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_;
}
std::vector<std::string> FakeMinimaxApi::log() const { return server_.log(); }

std::string FakeMinimaxApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return it->header("authorization");
  return "";
}

nlohmann::json FakeMinimaxApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && it->path == "/v1/video_generation")
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeMinimaxApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
