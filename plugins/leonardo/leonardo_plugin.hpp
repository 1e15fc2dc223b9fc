// "leonardo": images from the Leonardo.Ai REST API (v1), as a sans-I/O state
// machine (see README.md for the API spoken and the mappings).
//
//   POST   {base_url}/generations       {prompt, modelId, width, height, num_images: 1, seed,
//                                        contrast (Phoenix/Lucid), alchemy?}
//       → {sdGenerationJob: {generationId, apiCreditCost}}
//   GET    {base_url}/generations/{id}  → {generations_by_pk: {id, status: PENDING | COMPLETE |
//                                          FAILED, generated_images: [{id, url, nsfw}]}},
//                                          polled every poll_ms
//   DELETE {base_url}/generations/{id}  → deletes it (Leonardo has no cancel; this is ours)
// with "Authorization: Bearer <api key>". Errors are {"error": "…", "path", "code"}.
//
// The state (stored by the host) holds the phase, the generation id and, until
// Leonardo accepted it, the request body; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace aigate::plugins::leonardo {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://cloud.leonardo.ai/api/rest/v1";
inline constexpr const char* kPhoenix10 = "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3";
inline constexpr int kMaxThrottledResends = 5;      // 429s answered in a row, then fail
inline constexpr int kDefaultRetryAfterMs = 2'000;  // a 429 without a usable Retry-After
inline constexpr int kMaxRetryAfterMs = 60'000;
inline constexpr int kMaxMissingPolls = 5;  // generations_by_pk null this often in a row: fail

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

// Our model names → Leonardo platform model ids. Any other model that looks
// like a UUID (a custom or newer platform model) is sent as it is.
inline const std::map<std::string, std::string>& modelIds() {
  static const std::map<std::string, std::string> kIds = {
      {"phoenix-1.0", kPhoenix10},
      {"phoenix-0.9", "6b645e3a-d64f-4341-a6d8-7a3690fbf042"},
      {"lucid-origin", "7b592283-e8a7-4c5a-9ba6-d18c31f258b9"},
      {"lucid-realism", "05ce0082-2d80-4a2d-8653-4d1c85e2418e"},
  };
  return kIds;
}

inline bool looksLikeUuid(const std::string& text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : !std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// Phoenix and Lucid models require "contrast" (3, 3.5 or 4).
inline bool wantsContrast(const std::string& model_id) {
  for (const char* name : {"phoenix-1.0", "phoenix-0.9", "lucid-origin", "lucid-realism"})
    if (modelIds().at(name) == model_id) return true;
  return false;
}

// Width and height for one of our ratios: about one megapixel, multiples of
// 8, neither side above 1536. {0, 0} when unknown.
inline std::pair<int, int> sizeFor(const std::string& ours) {
  static const std::map<std::string, std::pair<int, int>> kSizes = {
      {"1:1", {1024, 1024}}, {"16:9", {1368, 768}}, {"9:16", {768, 1368}},
      {"4:5", {912, 1144}},  {"3:4", {888, 1184}},  {"4:3", {1184, 888}},
      {"2:3", {832, 1248}},  {"3:2", {1248, 832}},  {"21:9", {1536, 656}}};
  auto it = kSizes.find(ours);
  return it == kSizes.end() ? std::pair<int, int>{0, 0} : it->second;
}

// Whether a refusal is Leonardo's moderation speaking.
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"moderation", "moderated", "nsfw", "inappropriate", "flagged",
                           "safety", "content policy", "not allowed"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// The message of an error body: {"error": "…"}, {"error": {"message"}},
// {"message"} or {"errors": [{"message"}]}; else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    for (const char* key : {"error", "message", "errors"}) {
      if (!parsed.contains(key)) continue;
      const json& v = parsed[key];
      if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
      if (auto m = stringAt(v, "message"); !m.empty()) return m;
      if (v.is_array() && !v.empty())
        if (auto m = stringAt(v[0], "message"); !m.empty()) return m;
    }
  }
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
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
  int ms = kDefaultRetryAfterMs;
  if (number(stringAt(headers, "retry-after-ms"), &value))
    ms = static_cast<int>(std::min<double>(value, kMaxRetryAfterMs));
  else if (number(stringAt(headers, "retry-after"), &value))
    ms = static_cast<int>(std::min<double>(value * 1000.0, kMaxRetryAfterMs));
  return std::clamp(ms, 0, kMaxRetryAfterMs);
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 3'000;
  int timeout_ms = 60'000;
  double contrast = 3.5;  // Phoenix/Lucid: 3 (low), 3.5 (medium), 4 (high)
  bool alchemy = false;   // Phoenix "Quality" mode (costs more)

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("leonardo: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms", "contrast",
                                                 "alchemy"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("leonardo: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, contrast, alchemy)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("leonardo: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            "leonardo: base_url must start with http:// or https://, got \"" + s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    if (j.contains("contrast")) {
      const json& v = j["contrast"];
      if (!v.is_number() || (v.get<double>() != 3.0 && v.get<double>() != 3.5 &&
                             v.get<double>() != 4.0))
        throw std::invalid_argument("leonardo: contrast must be 3, 3.5 or 4, got " + v.dump());
      s.contrast = v.get<double>();
    }
    if (j.contains("alchemy")) {
      if (!j["alchemy"].is_boolean())
        throw std::invalid_argument("leonardo: alchemy must be true or false, got " +
                                    j["alchemy"].dump());
      s.alchemy = j["alchemy"].get<bool>();
    }
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("leonardo: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
};

class LeonardoPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "leonardo"},
            {"version", "1.0.0"},
            {"description",
             "Leonardo.Ai REST API v1: Phoenix and Lucid images (or any platform/custom model id)."},
            {"kinds", {"image"}},
            {"models", {"phoenix-1.0", "phoenix-0.9", "lucid-origin", "lucid-realism"}},
            {"default_model", "phoenix-1.0"},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 8}, {"video", 0}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit LeonardoPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    if (type == "cancel") return cancel(event);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "leonardo: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error") return onHttpError(event);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "leonardo: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image") return invalid("this plugin makes images only, not \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "leonardo: no API key configured for this provider",
                          false);
    std::string model = stringAt(request, "model");
    if (model.empty()) model = "phoenix-1.0";
    std::string model_id;
    if (auto it = modelIds().find(model); it != modelIds().end())
      model_id = it->second;
    else if (looksLikeUuid(model))
      model_id = lower(model);
    else
      return invalid("unknown model \"" + model +
                     "\" (phoenix-1.0, phoenix-0.9, lucid-origin, lucid-realism or a model id)");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const auto [width, height] = sizeFor(ours);
    if (width == 0) return invalid("unsupported aspect ratio \"" + ours + "\"");

    json body = {{"prompt", stringAt(request, "prompt")},
                 {"modelId", model_id},
                 {"width", width},
                 {"height", height},
                 {"num_images", 1}};
    if (request.contains("seed") && request["seed"].is_number_integer() &&
        request["seed"].get<int64_t>() >= 0)
      body["seed"] = request["seed"];
    if (wantsContrast(model_id)) body["contrast"] = s_.contrast;
    if (s_.alchemy) body["alchemy"] = true;
    json state = {{"phase", "submit"},
                  {"model", model},
                  {"model_id", model_id},
                  {"body", body.dump()},
                  {"throttled", 0},
                  {"missing", 0}};
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission, a poll or the delete.
  Action send(const Event& event, json state) const {
    json headers = {{"authorization", "Bearer " + apiKey(event)}, {"accept", "application/json"}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string body = stringAt(state, "body");
      return Action::http("POST", s_.base_url + "/generations", std::move(headers), body,
                          std::move(state), s_.timeout_ms);
    }
    const std::string id = stringAt(state, "id");
    if (id.empty() || (phase != "poll" && phase != "cancel"))
      return Action::fail("plugin_error", "leonardo: a state without a generation to ask about",
                          false);
    const std::string url = s_.base_url + "/generations/" + id;
    if (phase == "cancel")
      return Action::http("DELETE", url, std::move(headers), "", std::move(state), s_.timeout_ms);
    return Action::http("GET", url, std::move(headers), "", std::move(state), s_.timeout_ms)
        .withProgress(0.3);
  }

  Action cancel(const Event& event) const {
    json state = event.state();
    if (stringAt(state, "id").empty())
      return Action::fail("canceled", "leonardo: canceled before Leonardo accepted the generation",
                          false);
    state["phase"] = "cancel";
    return send(event, std::move(state));
  }

  static Action onHttpError(const Event& event) {
    if (stringAt(event.state(), "phase") == "cancel") return canceled();
    return Action::fail("upstream_error", "leonardo: no answer: " + event.message(), true);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    if (phase == "cancel") return canceled();
    const int status = event.status();
    const std::string body = event.body();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "leonardo: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(body),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    if (status >= 500 || status == 408)
      return Action::fail("upstream_error",
                          "leonardo answered HTTP " + std::to_string(status) + ": " +
                              errorMessage(body),
                          true);
    if (status == 400 || status == 422) return refused(errorMessage(body));
    if (status == 401 || status == 403)
      return Action::fail("unauthorized",
                          "leonardo refused the API key (HTTP " + std::to_string(status) +
                              "): " + errorMessage(body),
                          false);
    if (status < 200 || status >= 300)
      return Action::fail("upstream_error",
                          "leonardo answered HTTP " + std::to_string(status) + ": " +
                              errorMessage(body),
                          false);
    const json answer = json::parse(body, nullptr, false);
    if (!answer.is_object()) return malformed("something that is not a JSON object");
    // Leonardo's gateway may answer 200 with only {"error": "…"}.
    if (answer.contains("error") && !answer.contains("sdGenerationJob") &&
        !answer.contains("generations_by_pk"))
      return refused(errorMessage(body));
    if (phase == "submit") {
      const std::string id = stringAt(answer.value("sdGenerationJob", json()), "generationId");
      if (id.empty()) return malformed("a submission without sdGenerationJob.generationId");
      state["id"] = id;
      state["phase"] = "poll";
      const json& job = answer["sdGenerationJob"];
      if (job.contains("apiCreditCost") && job["apiCreditCost"].is_number())
        state["api_credit_cost"] = job["apiCreditCost"];
      state.erase("body");
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.1);
    }
    if (phase != "poll") return Action::fail("plugin_error", "leonardo: unknown phase", false);
    if (!answer.contains("generations_by_pk"))
      return malformed("a poll without generations_by_pk");
    const json& generation = answer["generations_by_pk"];
    if (generation.is_null()) {
      // Just created generations can read as null for a moment; not forever.
      const json& before = state["missing"];
      const int missing = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (missing > kMaxMissingPolls)
        return Action::fail("upstream_error",
                            "leonardo: generation " + stringAt(state, "id") + " is not found",
                            false);
      state["missing"] = missing;
      return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.1);
    }
    state["missing"] = 0;
    return onGeneration(generation, std::move(state));
  }

  Action onGeneration(const json& generation, json state) const {
    const std::string status = stringAt(generation, "status");
    if (status.empty()) return malformed("a generation without a status");
    if (status == "COMPLETE") {
      const json images = generation.value("generated_images", json::array());
      if (!images.is_array() || images.empty() || !images[0].is_object())
        return malformed("a COMPLETE generation without generated_images");
      const json& image = images[0];
      if (image.value("nsfw", false) == true)
        return Action::fail("content_policy",
                            "leonardo: the image was flagged NSFW by Leonardo's moderation", false);
      const std::string url = stringAt(image, "url");
      if (url.empty()) return malformed("a generated image without a url");
      json output = {{"url", url}, {"mime", mimeOf(url)}};
      json usage = {{"provider_job_id", state["id"]},
                    {"model", state["model"]},
                    {"model_id", state["model_id"]}};
      if (state.contains("api_credit_cost")) usage["api_credit_cost"] = state["api_credit_cost"];
      return Action::done(json::array({std::move(output)}), std::move(usage));
    }
    if (status == "FAILED")
      // Polling a failed generation again cannot help, so the failure is
      // final here and the host moves to the next provider.
      return Action::fail("generation_failed",
                          "leonardo: generation " + stringAt(state, "id") + " FAILED", false);
    return Action::wait(s_.poll_ms, std::move(state)).withProgress(0.4);
  }

  // Leonardo's CDN serves JPEG; other extensions are honoured.
  static std::string mimeOf(const std::string& url) {
    std::string path = lower(url.substr(0, url.find_first_of("?#")));
    const auto ends = [&](const std::string& ext) {
      return path.size() >= ext.size() &&
             path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    };
    if (ends(".png")) return "image/png";
    if (ends(".webp")) return "image/webp";
    return "image/jpeg";
  }

  static Action refused(const std::string& reason) {
    return Action::fail(isContentPolicy(reason) ? "content_policy" : "invalid_request",
                        "leonardo: " + reason, false);
  }
  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "leonardo: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "leonardo answered " + what, true);
  }
  static Action canceled() {
    return Action::fail("canceled", "leonardo: canceled; the generation was deleted at Leonardo",
                        false);
  }

  Settings s_;
};

}  // namespace aigate::plugins::leonardo
