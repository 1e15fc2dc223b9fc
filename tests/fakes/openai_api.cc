#include "tests/fakes/openai_api.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "core/http/transfer.h"
#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

FakeResponse openAiError(int status, const std::string& message, const std::string& type,
                         const json& param, const json& code, FakeHeaders headers = {}) {
  return jsonResponse(
      status, {{"error", {{"message", message}, {"type", type}, {"param", param}, {"code", code}}}},
      std::move(headers));
}

FakeResponse invalid(const std::string& message, const json& param, const json& code) {
  return openAiError(400, message, "invalid_request_error", param, code);
}

struct Model {
  bool gpt_image;
  size_t max_prompt;
  std::vector<std::string> sizes;
  std::vector<std::string> qualities;
};

const Model* findModel(const std::string& name) {
  static const std::map<std::string, Model> kModels = {
      {"gpt-image-1",
       {true,
        32000,
        {"1024x1024", "1536x1024", "1024x1536", "auto"},
        {"low", "medium", "high", "auto"}}},
      {"gpt-image-1-mini",
       {true,
        32000,
        {"1024x1024", "1536x1024", "1024x1536", "auto"},
        {"low", "medium", "high", "auto"}}},
      {"gpt-image-1.5",
       {true,
        32000,
        {"1024x1024", "1536x1024", "1024x1536", "auto"},
        {"low", "medium", "high", "auto"}}},
      {"dall-e-3", {false, 4000, {"1024x1024", "1792x1024", "1024x1792"}, {"standard", "hd"}}},
      {"dall-e-2", {false, 1000, {"256x256", "512x512", "1024x1024"}, {"standard"}}}};
  const auto it = kModels.find(name);
  return it == kModels.end() ? nullptr : &it->second;
}

std::string list(const std::vector<std::string>& values) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? (i + 1 == values.size() ? ", and '" : ", '") : "'") + values[i] + "'";
  return out;
}

size_t codePoints(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The string at `key`, or `fallback` when it is absent or null (OpenAI's "use the default").
std::string stringOr(const json& body, const char* key, const std::string& fallback) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? fallback : it->get<std::string>();
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

FakeOpenAiApi::FakeOpenAiApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      server_(FakeRoutes()
                  .on("POST", "/v1/images/generations",
                      [this](const FakeRequest& request, const FakeRoutes::Params&) {
                        return generate(request);
                      })
                  .on("GET", "/files/{name}",
                      [this](const FakeRequest&, const FakeRoutes::Params& params) {
                        return download(params.at("name"));
                      })
                  .on("*", "*",
                      [](const FakeRequest& request, const FakeRoutes::Params&) {
                        return openAiError(
                            404, "Invalid URL (" + request.method + " " + request.path + ")",
                            "invalid_request_error", nullptr, nullptr);
                      }),
              port) {}

FakeResponse FakeOpenAiApi::generate(const FakeRequest& request) {
  const std::string token = request.bearerToken();
  if (token.empty())
    return openAiError(401,
                       "You didn't provide an API key. You need to provide your API key in an "
                       "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                       "YOUR_KEY), or as the password field (with blank username) if you're "
                       "accessing the API from your browser and are prompted for a username and "
                       "password. You can obtain an API key from "
                       "https://platform.openai.com/account/api-keys.",
                       "invalid_request_error", nullptr, nullptr);
  if (token != api_key_)
    return openAiError(401,
                       "Incorrect API key provided: " + token.substr(0, 6) +
                           "****. You can find your API key at "
                           "https://platform.openai.com/account/api-keys.",
                       "invalid_request_error", nullptr, "invalid_api_key");

  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON.",
        nullptr, nullptr);
  static const std::set<std::string> kKnown = {"prompt",
                                               "model",
                                               "n",
                                               "size",
                                               "quality",
                                               "response_format",
                                               "output_format",
                                               "style",
                                               "background",
                                               "moderation",
                                               "output_compression",
                                               "user",
                                               "stream",
                                               "partial_images"};
  for (const auto& [key, value] : body.items())
    if (!kKnown.count(key))
      return invalid("Unknown parameter: '" + key + "'.", key, "unknown_parameter");
  for (const char* key : {"model", "size", "quality", "response_format", "output_format"})
    if (body.contains(key) && !body[key].is_string() && !body[key].is_null())
      return invalid(std::string("Invalid type for '") + key + "': expected a string, but got " +
                         body[key].type_name() + " instead.",
                     key, "invalid_type");
  if (!body.contains("prompt") || !body["prompt"].is_string())
    return invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter");
  const std::string prompt = body["prompt"];
  const std::string model_name = stringOr(body, "model", "dall-e-2");
  const Model* model = findModel(model_name);
  if (!model)
    return invalid("Invalid value for 'model' = " + model_name + ".", "model", "invalid_value");
  if (prompt.empty())
    return invalid("Invalid 'prompt': empty string. Expected a string with minimum length 1.",
                   "prompt", "empty_string");
  if (codePoints(prompt) > model->max_prompt)
    return invalid("Invalid 'prompt': string too long. Expected a string with maximum length " +
                       std::to_string(model->max_prompt) + ", but got a string with length " +
                       std::to_string(codePoints(prompt)) + " instead.",
                   "prompt", "string_above_max_length");
  const json n_value = body.contains("n") && !body["n"].is_null() ? body["n"] : json(1);
  if (!n_value.is_number_integer() || n_value.get<int>() < 1 || n_value.get<int>() > 10)
    return invalid("Invalid 'n': must be between 1 and 10.", "n", "invalid_value");
  const int n = n_value.get<int>();
  if (model_name == "dall-e-3" && n != 1)
    return invalid("You must provide n=1 for this model.", "n", nullptr);
  const std::string size = stringOr(body, "size", model->gpt_image ? "auto" : "1024x1024");
  if (!contains(model->sizes, size))
    return invalid(
        "Invalid value: '" + size + "'. Supported values are: " + list(model->sizes) + ".", "size",
        "invalid_value");
  const std::string quality = stringOr(body, "quality", model->gpt_image ? "auto" : "standard");
  if (quality != "auto" && !contains(model->qualities, quality))
    return invalid(
        "Invalid value: '" + quality + "'. Supported values are: " + list(model->qualities) + ".",
        "quality", "invalid_value");
  if (model->gpt_image && !stringOr(body, "response_format", "").empty())
    return invalid("Unknown parameter: 'response_format'.", "response_format", "unknown_parameter");
  if (!model->gpt_image) {
    for (const char* key : {"output_format", "background", "moderation", "output_compression"})
      if (body.contains(key) && !body[key].is_null())
        return invalid(std::string("Unknown parameter: '") + key + "'.", key, "unknown_parameter");
  }
  const std::string output_format = stringOr(body, "output_format", "png");
  if (model->gpt_image && output_format != "png" && output_format != "jpeg" &&
      output_format != "webp")
    return invalid(
        "Invalid value: '" + output_format + "'. Supported values are: 'png', 'jpeg', and 'webp'.",
        "output_format", "invalid_value");
  const std::string response_format = stringOr(body, "response_format", "url");
  if (response_format != "url" && response_format != "b64_json")
    return invalid(
        "Invalid value: '" + response_format + "'. Supported values are: 'url' and 'b64_json'.",
        "response_format", "invalid_value");

  std::lock_guard<std::mutex> lock(mutex_);
  if (!blocked_word_.empty() && prompt.find(blocked_word_) != std::string::npos) {
    if (model->gpt_image)
      return invalid(
          "Your request was rejected by the safety system. If you believe this is an "
          "error, contact us at help.openai.com and include the request ID req_fake.",
          nullptr, "moderation_blocked");
    return invalid(
        "Your request was rejected as a result of our safety system. Your prompt may "
        "contain text that is not allowed by our safety system.",
        nullptr, "content_policy_violation");
  }
  const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  json data = json::array();
  for (int i = 0; i < n; ++i) {
    json image;
    if (model->gpt_image || response_format == "b64_json") {
      image["b64_json"] = http::encodeBase64(image_);
    } else {
      const std::string name = "img-" + std::to_string(++next_id_) + ".png";
      files_.push_back(name);
      image["url"] = server_.baseUrl() + "/files/" + name + "?se=2026-01-01&sig=fake";
    }
    if (model_name == "dall-e-3") image["revised_prompt"] = "A detailed rendering of " + prompt;
    data.push_back(std::move(image));
  }
  json answer = {{"created", created}, {"data", std::move(data)}};
  if (model->gpt_image) {
    answer["background"] = "opaque";
    answer["output_format"] = output_format;
    answer["quality"] = quality == "auto" ? "medium" : quality;
    answer["size"] = size == "auto" ? "1024x1024" : size;
    const int text_tokens = static_cast<int>(codePoints(prompt) / 4 + 1);
    answer["usage"] = {
        {"input_tokens", text_tokens},
        {"input_tokens_details", {{"image_tokens", 0}, {"text_tokens", text_tokens}}},
        {"output_tokens", 1056 * n},
        {"total_tokens", text_tokens + 1056 * n}};
  }
  return jsonResponse(200, answer, {{"x-request-id", "req_fake_" + std::to_string(created)}});
}

FakeResponse FakeOpenAiApi::download(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!contains(files_, name))
    return {404, "<Error><Code>BlobNotFound</Code></Error>", "application/xml", {}, false};
  return {200, image_, "image/png", {}, false};
}

void FakeOpenAiApi::setImage(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
}

void FakeOpenAiApi::setBlockedWord(std::string word) {
  std::lock_guard<std::mutex> lock(mutex_);
  blocked_word_ = std::move(word);
}

void FakeOpenAiApi::rateLimitNext(int count, int retry_after_ms) {
  server_.failNext(
      count, 429,
      json{{"error",
            {{"message",
              "Rate limit reached for images per minute (IPM): Limit 5, Used 5, Requested 1."},
             {"type", "requests"},
             {"param", nullptr},
             {"code", "rate_limit_exceeded"}}}}
          .dump(),
      {{"retry-after-ms", std::to_string(retry_after_ms)},
       {"retry-after", std::to_string((retry_after_ms + 999) / 1000)}});
}

void FakeOpenAiApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}

void FakeOpenAiApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeOpenAiApi::setHang(bool on) { server_.setHang(on); }
void FakeOpenAiApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeOpenAiApi::generations() const { return server_.count("POST", "/v1/images/generations"); }
int FakeOpenAiApi::downloads() const { return server_.count("GET", "/files/*"); }
int FakeOpenAiApi::requests() const { return server_.requests(); }
std::vector<std::string> FakeOpenAiApi::log() const { return server_.log(); }

std::string FakeOpenAiApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return it->header("authorization");
  return "";
}

json FakeOpenAiApi::lastBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return json::parse(it->body, nullptr, false);
  return json(json::value_t::discarded);
}

bool FakeOpenAiApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
