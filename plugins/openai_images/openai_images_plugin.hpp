// "openai_images": images from the OpenAI Images API, as a sans-I/O state
// machine (see README.md for the API version followed and the mappings).
//
//   POST {base_url}/v1/images/generations
//        {model, prompt, n: 1, size, quality?, output_format? | response_format: "b64_json"}
//     → 200 {created, data: [{b64_json | url, revised_prompt?}], output_format?, size?, usage?}
//     → 4xx/5xx {error: {message, type, code, param}}
// with "Authorization: Bearer <api key>". The call is synchronous: the image
// comes back in the answer; there is nothing to poll and nothing to cancel.
//
// The state (stored by the host) holds the request body to resend after a
// 429 and what the answer is expected to be (model, size, mime); never the
// credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aigate::plugins::openai_images {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.openai.com";
inline constexpr const char* kDefaultModel = "gpt-image-1";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;

// The string at `key` of `object`, or "" when absent or not a string.
inline std::string stringAt(const json& object, const char* key) {
  if (!object.is_object()) return {};
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

inline std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// What a model accepts. The GPT image models return base64 always and take
// output_format and quality (low|medium|high|auto); DALL·E returns a URL
// unless response_format is "b64_json", and only PNG.
struct ModelInfo {
  bool gpt_image = false;
  size_t max_prompt_chars = 0;
  std::vector<std::pair<int, int>> sizes;  // width, height; the first is square
};

inline const ModelInfo* modelInfo(const std::string& model) {
  static const ModelInfo kGptImage{true, 32'000, {{1024, 1024}, {1536, 1024}, {1024, 1536}}};
  static const ModelInfo kDalle3{false, 4'000, {{1024, 1024}, {1792, 1024}, {1024, 1792}}};
  static const ModelInfo kDalle2{false, 1'000, {{1024, 1024}}};
  if (model == "gpt-image-1" || model == "gpt-image-1-mini" || model == "gpt-image-1.5")
    return &kGptImage;
  if (model == "dall-e-3") return &kDalle3;
  if (model == "dall-e-2") return &kDalle2;
  return nullptr;
}

// The width:height of one of our aspect ratios ("16:9" → 1.777…), or 0 when
// it is not one.
inline double ratioOf(const std::string& aspect_ratio) {
  static const std::set<std::string> kOurs = {"1:1", "9:16", "16:9", "4:5", "3:4",
                                              "4:3", "2:3",  "3:2",  "21:9"};
  if (!kOurs.count(aspect_ratio)) return 0;
  const auto colon = aspect_ratio.find(':');
  return std::stod(aspect_ratio.substr(0, colon)) / std::stod(aspect_ratio.substr(colon + 1));
}

// The size of `model` nearest to `ratio` (by |log| of the ratio of ratios;
// ties go to the earlier size, the square one).
inline std::pair<int, int> nearestSize(const ModelInfo& model, double ratio) {
  std::pair<int, int> best = model.sizes.front();
  double best_distance = 1e9;
  for (const auto& size : model.sizes) {
    const double distance =
        std::abs(std::log(static_cast<double>(size.first) / size.second / ratio));
    if (distance < best_distance - 1e-9) {
      best = size;
      best_distance = distance;
    }
  }
  return best;
}

// Unicode code points in UTF-8 `text` (what OpenAI's prompt limits count).
inline size_t codePoints(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// The {"error": {...}} object of an OpenAI error body, or an empty object.
inline json errorObject(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object())
    return parsed["error"];
  return json::object();
}

// The message of an error body, else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  if (auto message = stringAt(errorObject(body), "message"); !message.empty()) return message;
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
}

// Whether an error answer is OpenAI's safety system refusing the prompt.
inline bool isContentPolicy(const json& error) {
  const std::string code = stringAt(error, "code");
  if (code == "content_policy_violation" || code == "moderation_blocked") return true;
  return lower(stringAt(error, "message")).find("safety system") != std::string::npos;
}

// How long a 429 asks us to wait: "retry-after-ms", else "retry-after" in
// seconds; a date or nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  auto number = [](const std::string& text, double* out) {
    if (text.empty()) return false;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v < 0) return false;
    *out = v;
    return true;
  };
  double value = 0;
  double ms = kDefaultRetryAfterMs;
  if (number(stringAt(headers, "retry-after-ms"), &value))
    ms = value;
  else if (number(stringAt(headers, "retry-after"), &value))
    ms = value * 1000.0;
  return static_cast<int>(std::clamp<double>(ms, 0, kMaxRetryAfterMs));
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int timeout_ms = 120'000;
  std::string output_format = "png";  // GPT image models: png | jpeg | webp
  std::string quality = "auto";       // GPT image models: auto | low | medium | high
  std::string organization;           // sent as OpenAI-Organization when set
  std::string project;                // sent as OpenAI-Project when set

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object())
      throw std::invalid_argument("openai_images: settings must be a JSON object");
    static const std::set<std::string> kKnown = {
        "base_url", "timeout_ms", "poll_ms", "output_format", "quality", "organization", "project"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("openai_images: unknown setting \"" + key +
                                    "\" (known: base_url, timeout_ms, poll_ms, output_format, "
                                    "quality, organization, project)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("openai_images: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.size() >= 3 && s.base_url.compare(s.base_url.size() - 3, 3, "/v1") == 0)
        throw std::invalid_argument(
            "openai_images: base_url must not end in /v1 (the plugin adds "
            "/v1/images/generations), got \"" +
            s.base_url + "\"");
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            "openai_images: base_url must start with http:// or https://, got \"" + s.base_url +
            "\"");
    }
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 1'000, 600'000);
    intSetting(j, "poll_ms", 0, 0, 600'000);  // accepted for uniformity; nothing is polled
    s.output_format = choice(j, "output_format", s.output_format, {"png", "jpeg", "webp"});
    s.quality = choice(j, "quality", s.quality, {"auto", "low", "medium", "high"});
    s.organization = text(j, "organization");
    s.project = text(j, "project");
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("openai_images: ") + key +
                                  " must be an integer from " + std::to_string(min) + " to " +
                                  std::to_string(max) + ", got " + v.dump());
    return v.get<int>();
  }
  static std::string choice(const json& j, const char* key, std::string fallback,
                            const std::set<std::string>& allowed) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (v.is_string() && allowed.count(v.get<std::string>())) return v.get<std::string>();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw std::invalid_argument(std::string("openai_images: ") + key + " must be one of " + list +
                                ", got " + v.dump());
  }
  static std::string text(const json& j, const char* key) {
    if (!j.contains(key)) return {};
    if (!j[key].is_string())
      throw std::invalid_argument(std::string("openai_images: ") + key + " must be a string");
    return j[key].get<std::string>();
  }
};

class OpenAiImagesPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {
        {"name", "openai_images"},
        {"version", "1.0.0"},
        {"description",
         "OpenAI Images API (POST /v1/images/generations): gpt-image-1 and DALL-E images."},
        {"kinds", {"image"}},
        {"models", {"gpt-image-1", "gpt-image-1-mini", "gpt-image-1.5", "dall-e-3", "dall-e-2"}},
        {"default_model", kDefaultModel},
        {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
        {"price", {{"image", 10}}},
        {"local", false},
        {"can_cancel", false}};
  }

  explicit OpenAiImagesPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // Nothing to cancel upstream: the one request either answers or not.
    if (type == "cancel")
      return Action::fail("canceled", "openai_images: canceled (OpenAI has no cancel)", false);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "openai_images: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "openai_images: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "openai_images: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image") return invalid("only images are supported, got kind \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("upstream_auth", "openai_images: no API key configured for this provider",
                          false);
    std::string model = stringAt(request, "model");
    if (model.empty()) model = kDefaultModel;
    const ModelInfo* info = modelInfo(model);
    if (!info)
      return invalid("unknown model \"" + model +
                     "\" (gpt-image-1, gpt-image-1-mini, gpt-image-1.5, dall-e-3, dall-e-2)");
    const std::string prompt = stringAt(request, "prompt");
    if (prompt.empty()) return invalid("the prompt is empty");
    if (codePoints(prompt) > info->max_prompt_chars)
      return invalid("the prompt is longer than the " + std::to_string(info->max_prompt_chars) +
                     " characters " + model + " accepts");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const double ratio = ratioOf(ours);
    if (ratio <= 0) return invalid("unsupported aspect ratio \"" + ours + "\"");
    const auto [width, height] = nearestSize(*info, ratio);
    const std::string size = std::to_string(width) + "x" + std::to_string(height);

    json body = {{"model", model}, {"prompt", prompt}, {"n", 1}, {"size", size}};
    std::string format = "png";
    if (info->gpt_image) {
      format = s_.output_format;
      if (format != "png") body["output_format"] = format;
      if (s_.quality != "auto") body["quality"] = s_.quality;
    } else {
      body["response_format"] = "b64_json";
    }
    json state = {
        {"phase", "generate"},       {"model", model},      {"width", width}, {"height", height},
        {"mime", "image/" + format}, {"body", body.dump()}, {"throttled", 0}};
    return send(event, std::move(state));
  }

  // The generation request, first sent or resent after a 429.
  Action send(const Event& event, json state) const {
    if (stringAt(state, "phase") != "generate" || stringAt(state, "body").empty())
      return Action::fail("plugin_error", "openai_images: a state without a request to send",
                          false);
    json headers = {{"authorization", "Bearer " + apiKey(event)},
                    {"content-type", "application/json"},
                    {"accept", "application/json"}};
    if (!s_.organization.empty()) headers["openai-organization"] = s_.organization;
    if (!s_.project.empty()) headers["openai-project"] = s_.project;
    const std::string body = stringAt(state, "body");
    return Action::http("POST", s_.base_url + "/v1/images/generations", std::move(headers), body,
                        std::move(state), s_.timeout_ms)
        .withProgress(0.1);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const int status = event.status();
    const json error = errorObject(event.body());
    const std::string message = errorMessage(event.body());
    if (status == 429) {
      // An exhausted quota is not a rate limit: waiting does not help, but
      // another provider (the host's fallback after its retries) may.
      if (stringAt(error, "code") == "insufficient_quota" ||
          stringAt(error, "type") == "insufficient_quota")
        return Action::fail("upstream_quota", "openai_images: " + message, true);
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "openai_images: still rate limited after " +
                                std::to_string(kMaxThrottledResends) + " waits: " + message,
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    // Like OpenAI's own SDKs, 408 and 409 are worth another try.
    if (status >= 500 || status == 408 || status == 409)
      return Action::fail("upstream_error",
                          "openai_images: HTTP " + std::to_string(status) + ": " + message, true);
    if (status == 401 || status == 403)
      return Action::fail("upstream_auth",
                          "openai_images: OpenAI refused the API key (HTTP " +
                              std::to_string(status) + "): " + message,
                          false);
    if (status >= 400 && status < 500) {
      if (isContentPolicy(error))
        return Action::fail("content_policy", "openai_images: " + message, false);
      return Action::fail("invalid_request", "openai_images: " + message, false);
    }
    if (status < 200 || status >= 300)
      return Action::fail("upstream_error",
                          "openai_images: HTTP " + std::to_string(status) + ": " + message, false);
    return onImages(json::parse(event.body(), nullptr, false), state);
  }

  static Action onImages(const json& answer, const json& state) {
    if (!answer.is_object()) return malformed("something that is not a JSON object");
    const json data = answer.value("data", json());
    if (!data.is_array() || data.empty() || !data[0].is_object())
      return malformed("no images (\"data\" is missing or empty)");
    const json& image = data[0];
    json output;
    if (auto b64 = stringAt(image, "b64_json"); !b64.empty())
      output["data_base64"] = std::move(b64);
    else if (auto url = stringAt(image, "url"); !url.empty())
      output["url"] = std::move(url);
    else
      return malformed("an image with neither b64_json nor url");

    int width = state.value("width", 0);
    int height = state.value("height", 0);
    if (auto size = stringAt(answer, "size"); !size.empty()) {
      int w = 0;
      int h = 0;
      if (std::sscanf(size.c_str(), "%dx%d", &w, &h) == 2 && w > 0 && h > 0) {
        width = w;
        height = h;
      }
    }
    std::string mime = stringAt(state, "mime");
    if (auto format = stringAt(answer, "output_format");
        format == "png" || format == "jpeg" || format == "webp")
      mime = "image/" + format;
    output["mime"] = mime.empty() ? std::string("image/png") : mime;
    output["width"] = width;
    output["height"] = height;

    json usage = {{"model", state.value("model", std::string())},
                  {"size", std::to_string(width) + "x" + std::to_string(height)}};
    if (auto revised = stringAt(image, "revised_prompt"); !revised.empty())
      usage["revised_prompt"] = revised;
    if (auto quality = stringAt(answer, "quality"); !quality.empty()) usage["quality"] = quality;
    if (const json tokens = answer.value("usage", json()); tokens.is_object()) {
      for (const char* key : {"input_tokens", "output_tokens", "total_tokens"})
        if (tokens.contains(key) && tokens[key].is_number_integer()) usage[key] = tokens[key];
    }
    return Action::done(json::array({std::move(output)}), std::move(usage));
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "openai_images: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "openai_images: OpenAI answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::openai_images
