#include "tests/fakes/luma_api.h"

#include <cstdio>
#include <set>
#include <tuple>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kApi = "/dream-machine/v1";

FakeResponse detail(int status, const std::string& message) {
  return jsonResponse(status, {{"detail", message}});
}

// FastAPI's answer to a body that does not fit the schema.
FakeResponse unprocessable(const std::string& field, const std::string& type,
                           const std::string& message) {
  return jsonResponse(
      422,
      {{"detail", json::array({{{"type", type}, {"loc", {"body", field}}, {"msg", message}}})}});
}

// Why `value` (absent when null) is not one of `allowed`, or "" when it is.
std::string literalProblem(const json& body, const char* field,
                           const std::set<std::string>& allowed, bool required) {
  if (!body.contains(field) || body[field].is_null()) return required ? "missing" : "";
  if (body[field].is_string() && allowed.count(body[field].get<std::string>())) return "";
  return "literal_error";
}

std::string quotedList(const std::set<std::string>& allowed) {
  std::string text;
  size_t i = 0;
  for (const auto& a : allowed) {
    text += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + ("'" + a + "'");
    ++i;
  }
  return text;
}

std::string extensionOf(const std::string& mime) {
  if (mime == "image/jpeg") return "jpg";
  if (mime == "image/webp") return "webp";
  return "png";
}

}  // namespace

FakeLumaApi::FakeLumaApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", std::string(kApi) + "/generations/image",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, "image"); });
                      })
                  .on("POST", std::string(kApi) + "/generations/video",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, "video"); });
                      })
                  .on("POST", std::string(kApi) + "/generations",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, "video"); });
                      })
                  .on("GET", std::string(kApi) + "/generations/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll(p.at("id")); });
                      })
                  .on("DELETE", std::string(kApi) + "/generations/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return remove(p.at("id")); });
                      })
                  .on("*", std::string(kApi) + "/*",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [] { return detail(404, "Not Found"); });
                      })
                  .on("GET", "/files/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("file"));
                      }),
              port) {}

FakeLumaApi::~FakeLumaApi() = default;

std::string FakeLumaApi::baseUrl() const { return server_.baseUrl() + kApi; }

FakeResponse FakeLumaApi::guarded(const FakeRequest& request,
                                  const std::function<FakeResponse()>& route) {
  if (request.bearerToken() != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return detail(401, "Invalid API key provided");
  }
  return route();
}

FakeResponse FakeLumaApi::submit(const FakeRequest& request, const std::string& kind) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return jsonResponse(422, {{"detail", json::array({{{"type", "json_invalid"},
                                                       {"loc", {"body"}},
                                                       {"msg", "JSON decode error"}}})}});
  static const std::set<std::string> kRatios = {"1:1", "16:9", "9:16", "4:3",
                                                "3:4", "21:9", "9:21"};
  const std::set<std::string> models = kind == "image"
                                           ? std::set<std::string>{"photon-1", "photon-flash-1"}
                                           : std::set<std::string>{"ray-2", "ray-flash-2"};
  std::vector<std::tuple<const char*, std::set<std::string>, bool>> literals = {
      {"model", models, true}, {"aspect_ratio", kRatios, false}};
  if (kind == "image") {
    literals.emplace_back("format", std::set<std::string>{"jpg", "png"}, false);
  } else {
    literals.emplace_back("resolution", std::set<std::string>{"540p", "720p", "1080p", "4k"},
                          false);
    literals.emplace_back("duration", std::set<std::string>{"5s", "9s"}, false);
  }
  for (const auto& [field, allowed, required] : literals) {
    const std::string problem = literalProblem(body, field, allowed, required);
    if (problem == "missing") return unprocessable(field, "missing", "Field required");
    if (!problem.empty())
      return unprocessable(field, problem, "Input should be " + quotedList(allowed));
  }
  if (body.contains("loop") && !body["loop"].is_boolean())
    return unprocessable("loop", "bool_type", "Input should be a valid boolean");
  if (!body.contains("prompt") || !body["prompt"].is_string())
    return detail(400, "Prompt is required");
  const auto prompt_length = body["prompt"].get_ref<const std::string&>().size();
  if (prompt_length < 3) return detail(400, "Prompt is too short, minimum length is 3 characters");
  if (prompt_length > 5000)
    return detail(400, "Prompt is too long, maximum length is 5000 characters");

  std::lock_guard<std::mutex> lock(mutex_);
  char id[40];
  std::snprintf(id, sizeof id, "6f1c2a9e-0000-4000-8000-%012d", next_id_++);
  Generation& g = generations_[id];
  g.kind = kind;
  g.request = body;
  g.created_at = "2026-11-26T08:00:00.000000Z";
  return jsonResponse(201, describe(id, g, "queued"));
}

json FakeLumaApi::describe(const std::string& id, const Generation& g, const std::string& state) {
  json generation = {{"id", id},
                     {"generation_type", g.kind},
                     {"state", state},
                     {"failure_reason", nullptr},
                     {"created_at", g.created_at},
                     {"assets", nullptr},
                     {"model", g.request.value("model", std::string())},
                     {"request", g.request}};
  const std::string files = server_.baseUrl() + "/files/" + id;
  if (state == "completed") {
    generation["assets"] = g.kind == "video"
                               ? json{{"video", files + ".mp4"}}
                               : json{{"image", files + "." + extensionOf(image_mime_)}};
  } else if (state == "failed") {
    generation["failure_reason"] = failure_reason_;
  }
  return generation;
}

FakeResponse FakeLumaApi::poll(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = generations_.find(id);
  if (it == generations_.end()) return detail(404, "Generation not found");
  Generation& g = it->second;
  std::string state;
  if (g.polls < polls_before_done_) {
    state = g.polls == 0 ? "queued" : "dreaming";
    ++g.polls;
  } else {
    state = failure_reason_.empty() ? "completed" : "failed";
  }
  return jsonResponse(200, describe(id, g, state));
}

FakeResponse FakeLumaApi::remove(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!generations_.erase(id)) return detail(404, "Generation not found");
  return {204, "", "", {}, false};
}

FakeResponse FakeLumaApi::download(const std::string& file) {
  const auto dot = file.rfind('.');
  if (dot == std::string::npos) return detail(404, "Not Found");
  const std::string id = file.substr(0, dot);
  const std::string ext = file.substr(dot + 1);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = generations_.find(id);
  if (it == generations_.end()) return detail(404, "Not Found");
  if (it->second.kind == "video" && ext == "mp4") return {200, video_, "video/mp4", {}, false};
  if (it->second.kind == "image" && ext == extensionOf(image_mime_))
    return {200, image_, image_mime_, {}, false};
  return detail(404, "Not Found");
}

void FakeLumaApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}

void FakeLumaApi::setFailureReason(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  failure_reason_ = std::move(reason);
}

void FakeLumaApi::setImage(std::string bytes, std::string mime) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
}

void FakeLumaApi::setVideo(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  video_ = std::move(bytes);
}

void FakeLumaApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeLumaApi::setGarbage(bool on) { server_.setGarbage(on, kApi); }
void FakeLumaApi::setHang(bool on) { server_.setHang(on); }
void FakeLumaApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeLumaApi::submits() const {
  return server_.count("POST", std::string(kApi) + "/generations/image") +
         server_.count("POST", std::string(kApi) + "/generations/video") +
         server_.count("POST", std::string(kApi) + "/generations");
}
int FakeLumaApi::polls() const {
  return server_.count("GET", std::string(kApi) + "/generations/{id}");
}
int FakeLumaApi::deletes() const {
  return server_.count("DELETE", std::string(kApi) + "/generations/{id}");
}
int FakeLumaApi::downloads() const { return server_.count("GET", "/files/*"); }

int FakeLumaApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}

std::vector<std::string> FakeLumaApi::log() const { return server_.log(); }

std::string FakeLumaApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind(kApi, 0) == 0) return it->header("authorization");
  return "";
}

json FakeLumaApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && it->path.rfind(std::string(kApi) + "/generations", 0) == 0)
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeLumaApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
