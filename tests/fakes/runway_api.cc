#include "tests/fakes/runway_api.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kVersion = "2024-11-06";
constexpr int kCredits = 50;

// What each model takes, per @runwayml/sdk 4.20.1.
struct ModelRules {
  std::vector<std::string> text_ratios;  // empty: no text_to_video
  std::vector<std::string> image_ratios;
  std::vector<int> durations;  // empty: 2..10
  bool duration_required = false;
  bool image_prompt_text_required = false;
};

const std::map<std::string, ModelRules>& rules() {
  static const std::vector<std::string> kGen4 = {"1280:720", "720:1280", "1104:832",
                                                 "832:1104", "960:960",  "1584:672"};
  static const std::vector<std::string> kVeo = {"1280:720", "720:1280", "1080:1920", "1920:1080"};
  static const std::map<std::string, ModelRules> kRules = {
      {"gen4.5", {{"1280:720", "720:1280"}, kGen4, {}, true, true}},
      {"gen4_turbo", {{}, kGen4, {}, false, false}},
      {"veo3.1", {kVeo, kVeo, {4, 6, 8}, false, false}},
      {"veo3.1_fast", {kVeo, kVeo, {4, 6, 8}, false, false}},
  };
  return kRules;
}

size_t utf16Units(const std::string& text) {
  size_t units = 0;
  for (unsigned char ch : text)
    if ((ch & 0xC0) != 0x80) units += ch >= 0xF0 ? 2 : 1;
  return units;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "'" : ", '") + item + "'";
  return out;
}

// The problems Runway would list for `body`, as {"path", "message"} issues.
json validate(const json& body, bool with_image) {
  json issues = json::array();
  const auto issue = [&](const std::string& field, const std::string& message) {
    issues.push_back({{"path", {field}}, {"message", message}});
  };
  if (!body.is_object()) {
    issue("", "Expected object");
    return issues;
  }
  const std::string model = body.value("model", std::string());
  const auto it = rules().find(model);
  if (it == rules().end() || (!with_image && it->second.text_ratios.empty())) {
    issue("model", "Invalid enum value. Received '" + model + "'");
    return issues;
  }
  const ModelRules& r = it->second;
  static const std::set<std::string> kKnown = {
      "model", "promptText", "promptImage", "ratio", "duration", "seed", "contentModeration"};
  for (const auto& [key, value] : body.items())
    if (!kKnown.count(key) || (key == "promptImage" && !with_image))
      issue(key, "Unrecognized key: '" + key + "'");

  const auto& ratios = with_image ? r.image_ratios : r.text_ratios;
  const json ratio = body.value("ratio", json());
  if (!ratio.is_string() ||
      std::find(ratios.begin(), ratios.end(), ratio.get<std::string>()) == ratios.end())
    issue("ratio", "Invalid enum value. Expected " + join(ratios) + ", received " + ratio.dump());

  const json text = body.value("promptText", json());
  const bool text_required = !with_image || r.image_prompt_text_required;
  if (text.is_null() && text_required) issue("promptText", "Required");
  if (!text.is_null() && (!text.is_string() || text.get<std::string>().empty() ||
                          utf16Units(text.get<std::string>()) > 1000))
    issue("promptText", "Must be a non-empty string of at most 1000 characters");

  if (with_image) {
    const json image = body.value("promptImage", json());
    const std::string uri = image.is_string() ? image.get<std::string>() : "";
    if (uri.rfind("https://", 0) != 0 && uri.rfind("data:image/", 0) != 0)
      issue("promptImage", "Invalid asset URL. Only HTTPS URLs are allowed.");
  }

  const json duration = body.value("duration", json());
  if (duration.is_null() && r.duration_required) issue("duration", "Required");
  if (!duration.is_null()) {
    const bool whole = duration.is_number_integer();
    const int64_t s = whole ? duration.get<int64_t>() : 0;
    const bool allowed = r.durations.empty()
                             ? s >= 2 && s <= 10
                             : std::count(r.durations.begin(), r.durations.end(), s) > 0;
    if (!whole || !allowed) issue("duration", "Invalid duration " + duration.dump());
  }

  const json seed = body.value("seed", json());
  if (!seed.is_null() &&
      (!seed.is_number_integer() || seed.get<int64_t>() < 0 || seed.get<int64_t>() > 4294967295LL))
    issue("seed", "Must be an integer from 0 to 4294967295");
  return issues;
}

std::string taskId(int n) {
  char id[40];
  std::snprintf(id, sizeof id, "1f0c8a2e-5d3b-4c6a-9e7f-%012d", n);
  return id;
}

FakeResponse runwayError(int status, const std::string& message, json issues = nullptr) {
  json body = {{"error", message}};
  if (!issues.is_null()) body["issues"] = std::move(issues);
  return jsonResponse(status, body);
}

}  // namespace

FakeRunwayApi::FakeRunwayApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", "/v1/text_to_video",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, false); });
                      })
                  .on("POST", "/v1/image_to_video",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, true); });
                      })
                  .on("GET", "/v1/tasks/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll(p.at("id")); });
                      })
                  .on("DELETE", "/v1/tasks/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return cancel(p.at("id")); });
                      })
                  .on("GET", "/files/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("file"));
                      }),
              port) {}

FakeRunwayApi::~FakeRunwayApi() = default;

std::string FakeRunwayApi::baseUrl() const { return server_.baseUrl(); }

void FakeRunwayApi::setPollsBeforeDone(int n) {
  std::lock_guard lock(mutex_);
  polls_before_done_ = n;
}

void FakeRunwayApi::setThrottledPolls(int n) {
  std::lock_guard lock(mutex_);
  throttled_polls_ = n;
}

void FakeRunwayApi::setFailure(std::string failure_code, std::string failure) {
  std::lock_guard lock(mutex_);
  failure_code_ = std::move(failure_code);
  failure_ = failure.empty() ? "The task failed (" + failure_code_ + ")." : std::move(failure);
}

void FakeRunwayApi::setVideo(std::string bytes) {
  std::lock_guard lock(mutex_);
  video_ = std::move(bytes);
}

void FakeRunwayApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}

void FakeRunwayApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeRunwayApi::setHang(bool on) { server_.setHang(on); }
void FakeRunwayApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeRunwayApi::submits() const {
  return server_.count("POST", "/v1/text_to_video") + server_.count("POST", "/v1/image_to_video");
}
int FakeRunwayApi::polls() const { return server_.count("GET", "/v1/tasks/{id}"); }
int FakeRunwayApi::cancels() const { return server_.count("DELETE", "/v1/tasks/{id}"); }
int FakeRunwayApi::downloads() const { return server_.count("GET", "/files/*"); }

int FakeRunwayApi::unauthorized() const {
  std::lock_guard lock(mutex_);
  return unauthorized_;
}

std::vector<std::string> FakeRunwayApi::log() const { return server_.log(); }

std::string FakeRunwayApi::lastAuthorization() const {
  std::lock_guard lock(mutex_);
  return last_authorization_;
}

std::string FakeRunwayApi::lastVersion() const {
  std::lock_guard lock(mutex_);
  return last_version_;
}

nlohmann::json FakeRunwayApi::lastSubmitBody() const {
  std::lock_guard lock(mutex_);
  return last_submit_body_;
}

bool FakeRunwayApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

FakeResponse FakeRunwayApi::guarded(const FakeRequest& request,
                                    const std::function<FakeResponse()>& route) {
  {
    std::lock_guard lock(mutex_);
    last_authorization_ = request.header("authorization");
    last_version_ = request.header("x-runway-version");
    if (request.bearerToken() != api_key_) {
      ++unauthorized_;
      return runwayError(401, "Invalid API key.");
    }
  }
  if (request.header("x-runway-version") != kVersion)
    return runwayError(
        400, "Invalid or missing X-Runway-Version header. Use \"" + std::string(kVersion) + "\".");
  return route();
}

FakeResponse FakeRunwayApi::submit(const FakeRequest& request, bool with_image) {
  const json body = json::parse(request.body, nullptr, false);
  {
    std::lock_guard lock(mutex_);
    last_submit_body_ = body;
  }
  if (body.is_discarded()) return runwayError(400, "The request body is not valid JSON.");
  if (json issues = validate(body, with_image); !issues.empty())
    return runwayError(400, "Validation of body failed", std::move(issues));
  std::lock_guard lock(mutex_);
  const std::string id = taskId(next_id_++);
  tasks_[id] = {"2026-11-26T08:00:00.000Z", 0, false};
  return jsonResponse(200, {{"id", id}, {"estimatedCost", {{"credits", kCredits}}}});
}

FakeResponse FakeRunwayApi::poll(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return runwayError(404, "Task not found.");
  Task& task = it->second;
  json out = {{"id", id}, {"createdAt", task.created_at}};
  if (task.cancelled) {
    out["status"] = "CANCELLED";
    out["cost"] = {{"credits", 0}};
    return jsonResponse(200, out);
  }
  const int n = ++task.polls;
  const int running = n - throttled_polls_;
  if (running <= polls_before_done_) {
    out["status"] = running <= 0 ? "THROTTLED" : running == 1 ? "PENDING" : "RUNNING";
    out["estimatedCost"] = {{"credits", kCredits}};
    if (running > 1) out["progress"] = static_cast<double>(running) / (polls_before_done_ + 1);
    return jsonResponse(200, out);
  }
  if (!failure_code_.empty()) {
    out["status"] = "FAILED";
    out["failure"] = failure_;
    out["failureCode"] = failure_code_;
    out["cost"] = {{"credits", 0}};
    return jsonResponse(200, out);
  }
  out["status"] = "SUCCEEDED";
  out["output"] = {server_.baseUrl() + "/files/" + id + ".mp4"};
  out["cost"] = {{"credits", kCredits}};
  return jsonResponse(200, out);
}

FakeResponse FakeRunwayApi::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return runwayError(404, "Task not found.");
  it->second.cancelled = true;
  FakeResponse response;
  response.status = 204;
  response.content_type = "";
  return response;
}

FakeResponse FakeRunwayApi::download(const std::string& file) {
  std::lock_guard lock(mutex_);
  const std::string suffix = ".mp4";
  if (file.size() <= suffix.size() ||
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0 ||
      !tasks_.count(file.substr(0, file.size() - suffix.size())))
    return runwayError(404, "Not found.");
  FakeResponse response;
  response.body = video_;
  response.content_type = "video/mp4";
  return response;
}

}  // namespace aigate::testing
