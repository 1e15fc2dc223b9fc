#include "tests/fakes/bfl_api.h"

#include <cstdio>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

FakeResponse detail(int status, const std::string& message) {
  return jsonResponse(status, {{"detail", message}});
}

FakeResponse unprocessable(const std::string& field, const std::string& type,
                           const std::string& message) {
  return jsonResponse(
      422,
      {{"detail", json::array({{{"type", type}, {"loc", {"body", field}}, {"msg", message}}})}});
}

const std::set<std::string>& sizeModels() {
  static const std::set<std::string> kModels = {"flux-pro-1.1", "flux-pro", "flux-dev"};
  return kModels;
}
const std::set<std::string>& ratioModels() {
  static const std::set<std::string> kModels = {"flux-pro-1.1-ultra", "flux-kontext-pro",
                                                "flux-kontext-max"};
  return kModels;
}

// Whether "W:H" is a ratio between 21:9 and 9:21.
bool ratioInRange(const std::string& ratio) {
  int w = 0, h = 0;
  char tail = 0;
  if (std::sscanf(ratio.c_str(), "%d:%d%c", &w, &h, &tail) != 2 || w <= 0 || h <= 0) return false;
  const double r = static_cast<double>(w) / h;
  return r <= 21.0 / 9 + 1e-9 && r >= 9.0 / 21 - 1e-9;
}

}  // namespace

FakeBflApi::FakeBflApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      server_(FakeRoutes()
                  .on("GET", "/v1/get_result",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return result(r.queryParam("id")); });
                      })
                  .on("POST", "/v1/{model}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return submit(r, p.at("model")); });
                      })
                  .on("GET", "/delivery/{id}/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("id"), p.at("file"));
                      })
                  .on("*", "/*",
                      [](const FakeRequest&, const FakeRoutes::Params&) {
                        return detail(404, "Not Found");
                      }),
              port) {}

FakeBflApi::~FakeBflApi() = default;

std::string FakeBflApi::baseUrl() const { return server_.baseUrl(); }

FakeResponse FakeBflApi::guarded(const FakeRequest& request,
                                 const std::function<FakeResponse()>& route) {
  const std::string key = request.header("x-key");
  if (key != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return detail(403, key.empty() ? "Not authenticated" : "Invalid API key");
  }
  return route();
}

FakeResponse FakeBflApi::submit(const FakeRequest& request, const std::string& model) {
  const bool by_size = sizeModels().count(model) != 0;
  if (!by_size && !ratioModels().count(model)) return detail(404, "Not Found");
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return jsonResponse(422, {{"detail", json::array({{{"type", "json_invalid"},
                                                       {"loc", {"body", 0}},
                                                       {"msg", "JSON decode error"}}})}});
  if (!body.contains("prompt") || !body["prompt"].is_string())
    return unprocessable("prompt", "missing", "Field required");
  if (by_size) {
    for (const char* field : {"width", "height"}) {
      if (!body.contains(field)) continue;
      const json& v = body[field];
      if (!v.is_number_integer())
        return unprocessable(field, "int_type", "Input should be a valid integer");
      const int64_t n = v.get<int64_t>();
      if (n < 256) return unprocessable(field, "greater_than_equal", "Input should be greater than or equal to 256");
      if (n > 1440) return unprocessable(field, "less_than_equal", "Input should be less than or equal to 1440");
      if (n % 32) return unprocessable(field, "multiple_of", "Input should be a multiple of 32");
    }
  } else if (body.contains("aspect_ratio")) {
    if (!body["aspect_ratio"].is_string() || !ratioInRange(body["aspect_ratio"].get<std::string>()))
      return unprocessable("aspect_ratio", "value_error",
                           "Value error, Aspect ratio must be between 21:9 and 9:21");
  }
  std::string format = "jpeg";
  if (body.contains("output_format") && !body["output_format"].is_null()) {
    if (body["output_format"] != "jpeg" && body["output_format"] != "png")
      return unprocessable("output_format", "enum", "Input should be 'jpeg' or 'png'");
    format = body["output_format"].get<std::string>();
  }
  if (body.contains("safety_tolerance")) {
    const json& v = body["safety_tolerance"];
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 6)
      return unprocessable("safety_tolerance", "less_than_equal",
                           "Input should be less than or equal to 6");
  }
  if (body.contains("seed") && !body["seed"].is_null() && !body["seed"].is_number_integer())
    return unprocessable("seed", "int_type", "Input should be a valid integer");

  std::lock_guard<std::mutex> lock(mutex_);
  char id[40];
  std::snprintf(id, sizeof id, "3f2a9c1e-7b4d-4e8a-9c0f-%012d", next_id_++);
  Task& task = tasks_[id];
  task.request = body;
  task.format = format;
  return jsonResponse(200, {{"id", id},
                            {"polling_url", server_.baseUrl() + "/v1/get_result?id=" + id}});
}

FakeResponse FakeBflApi::result(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  if (it == tasks_.end())
    return jsonResponse(200, {{"id", id}, {"status", "Task not found"}, {"result", nullptr}});
  Task& task = it->second;
  if (task.polls < polls_before_done_) {
    ++task.polls;
    return jsonResponse(200, {{"id", id},
                              {"status", "Pending"},
                              {"result", nullptr},
                              {"progress", static_cast<double>(task.polls) / (polls_before_done_ + 1)},
                              {"details", nullptr}});
  }
  if (!final_status_.empty()) {
    json details = nullptr;
    if (final_status_.find("Moderated") != std::string::npos)
      details = {{"Moderation Reasons", json::array({"Derivative Works Filter"})}};
    return jsonResponse(200, {{"id", id}, {"status", final_status_}, {"result", nullptr},
                              {"details", details}});
  }
  return jsonResponse(
      200, {{"id", id},
            {"status", "Ready"},
            {"result",
             {{"sample", server_.baseUrl() + "/delivery/" + id + "/sample." + task.format +
                             "?se=2026-11-26T08%3A30%3A00Z&sig=fake"},
              {"prompt", task.request["prompt"]},
              {"seed", task.request.value("seed", json(42))},
              {"start_time", 1795680000.0},
              {"end_time", 1795680004.2},
              {"duration", 4.2}}},
            {"progress", nullptr},
            {"details", nullptr}});
}

FakeResponse FakeBflApi::download(const std::string& id, const std::string& file) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  if (it == tasks_.end() || file != "sample." + it->second.format)
    return {404, "<Error><Code>BlobNotFound</Code></Error>", "application/xml", {}, false};
  return {200, image_, "image/png", {}, false};
}

void FakeBflApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}
void FakeBflApi::setFinalStatus(std::string status) {
  std::lock_guard<std::mutex> lock(mutex_);
  final_status_ = std::move(status);
}
void FakeBflApi::setImage(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
}
void FakeBflApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeBflApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeBflApi::setHang(bool on) { server_.setHang(on); }
void FakeBflApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeBflApi::submits() const { return server_.count("POST", "/v1/{model}"); }
int FakeBflApi::polls() const { return server_.count("GET", "/v1/get_result"); }
int FakeBflApi::downloads() const { return server_.count("GET", "/delivery/*"); }
int FakeBflApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}
std::vector<std::string> FakeBflApi::log() const { return server_.log(); }

std::string FakeBflApi::lastKey() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return it->header("x-key");
  return "";
}
std::string FakeBflApi::lastSubmitPath() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && it->path.rfind("/v1/", 0) == 0) return it->path;
  return "";
}
nlohmann::json FakeBflApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && it->path.rfind("/v1/", 0) == 0)
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeBflApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
