#include "tests/fakes/replicate_api.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kCreatedAt = "2026-11-26T08:00:00.000Z";

// The inputs one model takes, per its schema on Replicate.
struct ModelSchema {
  std::string kind;
  std::vector<std::string> ratios;  // empty: aspect_ratio is not checked
  int min_duration = 0;             // 0: no duration input
  int max_duration = 0;
};

const std::map<std::string, ModelSchema>& officialModels() {
  static const std::vector<std::string> kFlux = {"1:1", "16:9", "21:9", "3:2",  "2:3", "4:5",
                                                 "5:4", "3:4",  "4:3",  "9:16", "9:21"};
  static const std::map<std::string, ModelSchema> kModels = {
      {"black-forest-labs/flux-schnell", {"image", kFlux, 0, 0}},
      {"black-forest-labs/flux-dev", {"image", kFlux, 0, 0}},
      {"bytedance/seedance-1-lite",
       {"video", {"16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21"}, 2, 12}},
  };
  return kModels;
}

const ModelSchema& helloSchema() {
  static const ModelSchema kHello = {"image", {}, 0, 0};
  return kHello;
}

// application/problem+json, as every Replicate error.
FakeResponse problem(int status, const std::string& title, const std::string& detail,
                     json extra = json::object()) {
  json body = {{"title", title}, {"detail", detail}, {"status", status}};
  for (auto& [key, value] : extra.items()) body[key] = value;
  FakeResponse response = jsonResponse(status, body);
  response.content_type = "application/problem+json";
  return response;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "\"" : ", \"") + item + "\"";
  return out;
}

// The invalid_fields Replicate would list for `input`.
json validate(const json& input, const ModelSchema& schema) {
  json fields = json::array();
  const auto bad = [&](const std::string& type, const std::string& name, const std::string& what) {
    fields.push_back({{"type", type}, {"field", "input." + name}, {"description", what}});
  };
  if (!input.is_object()) {
    bad("type", "", "input must be an object");
    return fields;
  }
  const json prompt = input.value("prompt", json());
  if (prompt.is_null())
    bad("required", "prompt", "prompt is required");
  else if (!prompt.is_string())
    bad("type", "prompt", "prompt must be a string");
  if (input.contains("aspect_ratio") && !schema.ratios.empty()) {
    const json& ratio = input["aspect_ratio"];
    if (!ratio.is_string() || std::find(schema.ratios.begin(), schema.ratios.end(),
                                        ratio.get<std::string>()) == schema.ratios.end())
      bad("enum", "aspect_ratio",
          "aspect_ratio must be one of the following: " + join(schema.ratios));
  }
  if (input.contains("seed") && !input["seed"].is_number_integer())
    bad("type", "seed", "seed must be an integer");
  if (input.contains("duration")) {
    const json& d = input["duration"];
    if (schema.min_duration == 0 || !d.is_number_integer() ||
        d.get<int64_t>() < schema.min_duration || d.get<int64_t>() > schema.max_duration)
      bad("range", "duration",
          "duration must be an integer from " + std::to_string(schema.min_duration) + " to " +
              std::to_string(schema.max_duration));
  }
  return fields;
}

std::string predictionId(int n) {
  char id[40];
  std::snprintf(id, sizeof id, "gm3qorzdhgbfurvjtvhg%06d", n);
  return id;
}

}  // namespace

FakeReplicateApi::FakeReplicateApi(std::string api_token, uint16_t port)
    : api_token_(std::move(api_token)),
      image_(samples::png(1024, 1024)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", "/v1/models/{owner}/{name}/predictions",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(
                            r, [&] { return submit(r, p.at("owner") + "/" + p.at("name")); });
                      })
                  .on("POST", "/v1/predictions",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, ""); });
                      })
                  .on("POST", "/v1/predictions/{id}/cancel",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return cancel(p.at("id")); });
                      })
                  .on("GET", "/v1/predictions/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll(p.at("id")); });
                      })
                  .on("GET", "/files/{id}/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("id"), p.at("file"));
                      }),
              port) {}

FakeReplicateApi::~FakeReplicateApi() = default;

std::string FakeReplicateApi::baseUrl() const { return server_.baseUrl(); }

void FakeReplicateApi::setPollsBeforeDone(int n) {
  std::lock_guard lock(mutex_);
  polls_before_done_ = n;
}

void FakeReplicateApi::setFailure(std::string error) {
  std::lock_guard lock(mutex_);
  failure_ = std::move(error);
}

void FakeReplicateApi::setImage(std::string bytes) {
  std::lock_guard lock(mutex_);
  image_ = std::move(bytes);
}

void FakeReplicateApi::setVideo(std::string bytes) {
  std::lock_guard lock(mutex_);
  video_ = std::move(bytes);
}

void FakeReplicateApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}

void FakeReplicateApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeReplicateApi::setHang(bool on) { server_.setHang(on); }
void FakeReplicateApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeReplicateApi::submits() const {
  return server_.count("POST", "/v1/models/{owner}/{name}/predictions") +
         server_.count("POST", "/v1/predictions");
}
int FakeReplicateApi::polls() const { return server_.count("GET", "/v1/predictions/{id}"); }
int FakeReplicateApi::cancels() const {
  return server_.count("POST", "/v1/predictions/{id}/cancel");
}
int FakeReplicateApi::downloads() const { return server_.count("GET", "/files/*"); }

int FakeReplicateApi::unauthorized() const {
  std::lock_guard lock(mutex_);
  return unauthorized_;
}

std::vector<std::string> FakeReplicateApi::log() const { return server_.log(); }

std::string FakeReplicateApi::lastAuthorization() const {
  std::lock_guard lock(mutex_);
  return last_authorization_;
}

std::string FakeReplicateApi::lastPrefer() const {
  std::lock_guard lock(mutex_);
  return last_prefer_;
}

std::string FakeReplicateApi::lastSubmitPath() const {
  std::lock_guard lock(mutex_);
  return last_submit_path_;
}

nlohmann::json FakeReplicateApi::lastSubmitBody() const {
  std::lock_guard lock(mutex_);
  return last_submit_body_;
}

bool FakeReplicateApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

FakeResponse FakeReplicateApi::guarded(const FakeRequest& request,
                                       const std::function<FakeResponse()>& route) {
  {
    std::lock_guard lock(mutex_);
    last_authorization_ = request.header("authorization");
    if (request.bearerToken() != api_token_) {
      ++unauthorized_;
      return problem(401, "Unauthenticated", "You did not pass a valid authentication token");
    }
  }
  return route();
}

FakeResponse FakeReplicateApi::submit(const FakeRequest& request, const std::string& model) {
  const json body = json::parse(request.body, nullptr, false);
  {
    std::lock_guard lock(mutex_);
    last_submit_body_ = body;
    last_submit_path_ = request.path;
    last_prefer_ = request.header("prefer");
  }
  if (!body.is_object())
    return problem(400, "Bad request", "The request body is not a valid JSON object.");
  const ModelSchema* schema = nullptr;
  std::string model_name = model;
  std::string version = "dp-4d0bcc010b3049749a251855f12800be";
  if (model.empty()) {
    if (body.value("version", json()) != kHelloVersion)
      return problem(422, "Invalid version or not permitted",
                     "The specified version does not exist (or perhaps you don't have "
                     "permission to use it?)");
    schema = &helloSchema();
    model_name = "replicate/hello-world";
    version = kHelloVersion;
  } else {
    const auto it = officialModels().find(model);
    if (it == officialModels().end())
      return problem(404, "Not found", "The requested resource could not be found.");
    schema = &it->second;
  }
  const json input = body.value("input", json());
  if (json fields = validate(input, *schema); !fields.empty()) {
    std::string detail;
    for (const auto& f : fields)
      detail +=
          "- " + f["field"].get<std::string>() + ": " + f["description"].get<std::string>() + "\n";
    return problem(422, "Input validation failed", detail, {{"invalid_fields", fields}});
  }
  std::lock_guard lock(mutex_);
  const std::string id = predictionId(next_id_++);
  const std::string get = server_.baseUrl() + "/v1/predictions/" + id;
  Prediction p;
  p.kind = schema->kind;
  p.body = {{"id", id},
            {"model", model_name},
            {"version", version},
            {"input", input},
            {"logs", ""},
            {"output", nullptr},
            {"data_removed", false},
            {"error", nullptr},
            {"status", "starting"},
            {"source", "api"},
            {"created_at", kCreatedAt},
            {"urls",
             {{"get", get},
              {"cancel", get + "/cancel"},
              {"stream", "https://stream.replicate.com/v1/files/" + id}}}};
  predictions_[id] = p;
  return jsonResponse(201, p.body);
}

void FakeReplicateApi::advance(const std::string& id, Prediction& p) {
  const std::string status = p.body["status"];
  if (status == "succeeded" || status == "failed" || status == "canceled") return;
  const int n = ++p.polls;
  if (n == 1 && polls_before_done_ > 0) return;  // still "starting"
  if (n <= polls_before_done_) {
    p.body["status"] = "processing";
    p.body["started_at"] = kCreatedAt;
    p.body["logs"] = "Using seed: 7\n" + std::to_string(100 * n / (polls_before_done_ + 1)) +
                     "%|#####     | " + std::to_string(n) + "/4\n";
    return;
  }
  p.body["completed_at"] = kCreatedAt;
  p.body["metrics"] = {{"predict_time", 1.25}, {"total_time", 2.5}};
  if (!failure_.empty()) {
    p.body["status"] = "failed";
    p.body["error"] = failure_;
    return;
  }
  p.body["status"] = "succeeded";
  p.body["logs"] = "Using seed: 7\n100%|##########| 4/4\n";
  const std::string files = server_.baseUrl() + "/files/" + id + "/";
  if (p.kind == "video")
    p.body["output"] = files + "output.mp4";
  else
    p.body["output"] = json::array({files + "out-0.png"});
}

FakeResponse FakeReplicateApi::poll(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = predictions_.find(id);
  if (it == predictions_.end())
    return problem(404, "Not found", "The requested resource could not be found.");
  advance(id, it->second);
  return jsonResponse(200, it->second.body);
}

FakeResponse FakeReplicateApi::cancel(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = predictions_.find(id);
  if (it == predictions_.end())
    return problem(404, "Not found", "The requested resource could not be found.");
  json& body = it->second.body;
  const std::string status = body["status"];
  if (status == "starting" || status == "processing") {
    body["status"] = "canceled";
    body["completed_at"] = kCreatedAt;
  }
  return jsonResponse(200, body);
}

FakeResponse FakeReplicateApi::download(const std::string& id, const std::string& file) {
  std::lock_guard lock(mutex_);
  auto it = predictions_.find(id);
  if (it == predictions_.end() || it->second.body["status"] != "succeeded")
    return FakeResponse{404, "Not found", "text/plain", {}, false};
  FakeResponse response;
  const bool video = file.size() > 4 && file.compare(file.size() - 4, 4, ".mp4") == 0;
  response.body = video ? video_ : image_;
  response.content_type = video ? "video/mp4" : "image/png";
  return response;
}

}  // namespace aigate::testing
