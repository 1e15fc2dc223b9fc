#include "tests/fakes/google_api.h"

#include <algorithm>
#include <utility>

#include "core/http/transfer.h"
#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kApi = "/v1beta";

FakeResponse googleError(int code, const std::string& status, const std::string& message,
                         json details = nullptr, FakeHeaders headers = {}) {
  json error = {{"code", code}, {"message", message}, {"status", status}};
  if (!details.is_null()) error["details"] = std::move(details);
  return jsonResponse(code, {{"error", error}}, std::move(headers));
}

bool endsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

FakeGoogleApi::FakeGoogleApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", std::string(kApi) + "/models/{action}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return post(r, p.at("action")); });
                      })
                  .on("GET", std::string(kApi) + "/models/{model}/operations/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll(p.at("model"), p.at("id")); });
                      })
                  .on("GET", std::string(kApi) + "/files/{file}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return download(p.at("file")); });
                      })
                  .on("*", std::string(kApi) + "/*",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [] {
                          return googleError(404, "NOT_FOUND", "Requested entity was not found.");
                        });
                      }),
              port) {}

FakeGoogleApi::~FakeGoogleApi() = default;

std::string FakeGoogleApi::baseUrl() const { return server_.baseUrl() + kApi; }

FakeResponse FakeGoogleApi::guarded(const FakeRequest& request,
                                    const std::function<FakeResponse()>& route) {
  std::string key = request.header("x-goog-api-key");
  if (key.empty()) key = request.queryParam("key");
  if (key != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++refused_;
    if (key.empty())
      return googleError(403, "PERMISSION_DENIED",
                         "Method doesn't allow unregistered callers (callers without established "
                         "identity). Please use API Key or other form of API consumer identity to "
                         "call this API.");
    return googleError(
        400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
        json::array({{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                      {"reason", "API_KEY_INVALID"},
                      {"domain", "googleapis.com"}}}));
  }
  return route();
}

FakeResponse FakeGoogleApi::post(const FakeRequest& request, const std::string& model_action) {
  const auto colon = model_action.find(':');
  if (colon == std::string::npos)
    return googleError(404, "NOT_FOUND", "Requested entity was not found.");
  const std::string model = model_action.substr(0, colon);
  const std::string action = model_action.substr(colon + 1);
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return googleError(400, "INVALID_ARGUMENT",
                       "Invalid JSON payload received. Unexpected token.");
  if (action == "generateContent") return generate(model, body);
  if (action == "predictLongRunning") return submit(model, body);
  return googleError(404, "NOT_FOUND", "Requested entity was not found.");
}

FakeResponse FakeGoogleApi::generate(const std::string& model, const json& body) {
  if (model.rfind("gemini-", 0) != 0 || model.find("image") == std::string::npos)
    return googleError(404, "NOT_FOUND",
                       "models/" + model +
                           " is not found for API version v1beta, or is not supported for "
                           "generateContent.");
  const json& contents = body.value("contents", json());
  if (!contents.is_array() || contents.empty())
    return googleError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
  std::string prompt;
  for (const auto& part : contents[0].value("parts", json::array()))
    prompt += part.value("text", std::string());
  if (prompt.empty())
    return googleError(400, "INVALID_ARGUMENT",
                       "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.");
  const json config = body.value("generationConfig", json::object());
  const std::string ratio = config.value("imageConfig", json::object()).value("aspectRatio", "1:1");
  static const std::vector<std::string> kRatios = {"1:1", "2:3", "3:2", "3:4",  "4:3",
                                                   "4:5", "5:4", "9:16", "16:9", "21:9"};
  if (std::find(kRatios.begin(), kRatios.end(), ratio) == kRatios.end())
    return googleError(400, "INVALID_ARGUMENT", "Unsupported aspect ratio: " + ratio);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!blocked_.empty())
    return jsonResponse(200, {{"promptFeedback", {{"blockReason", blocked_}}},
                              {"usageMetadata", {{"promptTokenCount", 7}, {"totalTokenCount", 7}}},
                              {"modelVersion", model}});
  json part = {{"inlineData", {{"mimeType", image_mime_}, {"data", http::encodeBase64(image_)}}}};
  return jsonResponse(
      200, {{"candidates",
             json::array({{{"content", {{"role", "model"}, {"parts", json::array({part})}}},
                           {"finishReason", "STOP"},
                           {"index", 0}}})},
            {"usageMetadata",
             {{"promptTokenCount", 7}, {"candidatesTokenCount", 1290}, {"totalTokenCount", 1297}}},
            {"modelVersion", model},
            {"responseId", "fake-response-1"}});
}

FakeResponse FakeGoogleApi::submit(const std::string& model, const json& body) {
  if (model.rfind("veo-", 0) != 0)
    return googleError(404, "NOT_FOUND",
                       "models/" + model + " is not found for API version v1beta, or is not "
                                           "supported for predictLongRunning.");
  const json& instances = body.value("instances", json());
  if (!instances.is_array() || instances.empty() ||
      instances[0].value("prompt", std::string()).empty())
    return googleError(400, "INVALID_ARGUMENT", "A prompt is required.");
  const json parameters = body.value("parameters", json::object());
  const std::string ratio = parameters.value("aspectRatio", "16:9");
  if (ratio != "16:9" && ratio != "9:16")
    return googleError(400, "INVALID_ARGUMENT",
                       "Aspect ratio " + ratio + " is not supported. Supported: 16:9, 9:16.");
  if (parameters.contains("durationSeconds") &&
      (!parameters["durationSeconds"].is_number_integer() ||
       parameters["durationSeconds"].get<int>() < 4 || parameters["durationSeconds"].get<int>() > 8))
    return googleError(400, "INVALID_ARGUMENT", "The durationSeconds is out of bound.");
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string id = "op" + std::to_string(next_id_++) + "x7k2";
  operations_[id] = 0;
  return jsonResponse(200, {{"name", "models/" + model + "/operations/" + id}});
}

FakeResponse FakeGoogleApi::poll(const std::string& model, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = operations_.find(id);
  const std::string name = "models/" + model + "/operations/" + id;
  if (it == operations_.end())
    return googleError(404, "NOT_FOUND", "Operation " + name + " not found.");
  if (it->second < polls_before_done_) {
    ++it->second;
    return jsonResponse(200, {{"name", name}});
  }
  if (op_error_code_ != 0)
    return jsonResponse(200, {{"name", name},
                              {"done", true},
                              {"error", {{"code", op_error_code_}, {"message", op_error_message_}}}});
  json video_response;
  if (!filtered_.empty()) {
    video_response = {{"raiMediaFilteredCount", 1},
                      {"raiMediaFilteredReasons", json::array({filtered_})}};
  } else {
    video_response = {{"generatedSamples",
                       json::array({{{"video", {{"uri", server_.baseUrl() + kApi + "/files/" + id +
                                                            ":download?alt=media"}}}}})}};
  }
  return jsonResponse(
      200, {{"name", name},
            {"done", true},
            {"response",
             {{"@type", "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"},
              {"generateVideoResponse", video_response}}}});
}

FakeResponse FakeGoogleApi::download(const std::string& file) {
  if (!endsWith(file, ":download"))
    return googleError(404, "NOT_FOUND", "File not found.");
  const std::string id = file.substr(0, file.size() - std::string(":download").size());
  std::lock_guard<std::mutex> lock(mutex_);
  if (!operations_.count(id)) return googleError(404, "NOT_FOUND", "File " + id + " not found.");
  return {200, video_, "video/mp4", {}, false};
}

void FakeGoogleApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}
void FakeGoogleApi::setPromptBlocked(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  blocked_ = std::move(reason);
}
void FakeGoogleApi::setVideoFiltered(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  filtered_ = std::move(reason);
}
void FakeGoogleApi::setOperationError(int code, std::string message) {
  std::lock_guard<std::mutex> lock(mutex_);
  op_error_code_ = code;
  op_error_message_ = std::move(message);
}
void FakeGoogleApi::setImage(std::string bytes, std::string mime) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
}
void FakeGoogleApi::setVideo(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  video_ = std::move(bytes);
}
void FakeGoogleApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeGoogleApi::setGarbage(bool on) { server_.setGarbage(on, std::string(kApi) + "/models"); }
void FakeGoogleApi::setHang(bool on) { server_.setHang(on); }

int FakeGoogleApi::generates() const {
  int n = 0;
  for (const auto& r : server_.received())
    if (r.method == "POST" && endsWith(r.path, ":generateContent")) ++n;
  return n;
}
int FakeGoogleApi::submits() const {
  int n = 0;
  for (const auto& r : server_.received())
    if (r.method == "POST" && endsWith(r.path, ":predictLongRunning")) ++n;
  return n;
}
int FakeGoogleApi::polls() const {
  return server_.count("GET", std::string(kApi) + "/models/{model}/operations/{id}");
}
int FakeGoogleApi::downloads() const { return server_.count("GET", std::string(kApi) + "/files/{file}"); }
int FakeGoogleApi::refusedKeys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_;
}
std::vector<std::string> FakeGoogleApi::log() const { return server_.log(); }

std::string FakeGoogleApi::lastApiKey() const {
  const auto received = server_.received();
  return received.empty() ? std::string() : received.back().header("x-goog-api-key");
}

json FakeGoogleApi::lastPostBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST") return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeGoogleApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
