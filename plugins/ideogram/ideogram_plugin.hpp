// "ideogram": images from the Ideogram API, as a sans-I/O state machine (see
// README.md for the API spoken and the mappings).
//
//   POST {base_url}/v1/ideogram-v3/generate   multipart/form-data: prompt, aspect_ratio
//                                             ("16x9"…), rendering_speed, seed, num_images=1
//   POST {base_url}/generate                  (legacy) JSON {"image_request": {prompt,
//                                             aspect_ratio "ASPECT_16_9"…, model "V_2"…, seed}}
//       → 200 {created, data: [{url, prompt, resolution, is_image_safe, seed, style_type}]}
// with "Api-Key: <api key>". Ideogram answers synchronously: one request, and
// the image URL (which expires) is handed to the host, which downloads it at
// once. There is nothing to poll and nothing to cancel upstream.
//
// The state (stored by the host) holds the request to (re)send; never the
// credential.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace aigate::plugins::ideogram {

using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.ideogram.ai";
inline constexpr const char* kV3Path = "/v1/ideogram-v3/generate";
inline constexpr const char* kLegacyPath = "/generate";
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

// Ideogram 3.0's aspect ratio ("16x9") for one of ours, "" when unknown. All
// ours exist in v3 except 21:9, which becomes 2x1 (the nearest v3 offers).
inline std::string v3AspectRatio(const std::string& ours) {
  static const std::map<std::string, std::string> kMap = {
      {"1:1", "1x1"},   {"16:9", "16x9"}, {"9:16", "9x16"}, {"4:5", "4x5"}, {"3:4", "3x4"},
      {"4:3", "4x3"},   {"2:3", "2x3"},   {"3:2", "3x2"},   {"21:9", "2x1"}};
  auto it = kMap.find(ours);
  return it == kMap.end() ? std::string() : it->second;
}

// The legacy API's aspect ratio ("ASPECT_16_9"), "" when unknown. The legacy
// enum has no 4:5 (→ ASPECT_3_4) and no 21:9 (→ ASPECT_16_9, nearer than 3:1).
inline std::string legacyAspectRatio(const std::string& ours) {
  static const std::map<std::string, std::string> kMap = {
      {"1:1", "ASPECT_1_1"}, {"16:9", "ASPECT_16_9"}, {"9:16", "ASPECT_9_16"},
      {"4:5", "ASPECT_3_4"}, {"3:4", "ASPECT_3_4"},   {"4:3", "ASPECT_4_3"},
      {"2:3", "ASPECT_2_3"}, {"3:2", "ASPECT_3_2"},   {"21:9", "ASPECT_16_9"}};
  auto it = kMap.find(ours);
  return it == kMap.end() ? std::string() : it->second;
}

// Whether a refusal is Ideogram's safety check speaking ("Prompt or provided
// image failed the safety checks", …).
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"safety", "unsafe", "moderation", "policy", "nsfw", "inappropriate"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// The message of an error body: {"error": "…"}, {"error": {"message"}},
// {"detail": "…" | [{"msg"}…]} or {"message"}; else the body itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    for (const char* key : {"error", "detail", "message"}) {
      if (!parsed.contains(key)) continue;
      const json& v = parsed[key];
      if (v.is_string() && !v.get<std::string>().empty()) return v.get<std::string>();
      if (auto m = stringAt(v, "message"); !m.empty()) return m;
      if (v.is_array()) {
        std::string joined;
        for (const auto& item : v) {
          const std::string msg = item.is_string() ? item.get<std::string>() : stringAt(item, "msg");
          if (msg.empty()) continue;
          joined += (joined.empty() ? "" : "; ") + msg;
        }
        if (!joined.empty()) return joined;
      }
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

// A multipart/form-data body of `fields` (name, value) in order, with a
// boundary that appears in none of the values. Deterministic (FNV-1a of the
// values), so the same request always gives the same bytes.
struct Multipart {
  std::string content_type;
  std::string body;
};
inline Multipart multipart(const std::vector<std::pair<std::string, std::string>>& fields) {
  uint64_t hash = 1469598103934665603ULL;
  for (const auto& [name, value] : fields)
    for (unsigned char c : name + "=" + value + "&") hash = (hash ^ c) * 1099511628211ULL;
  std::string boundary;
  for (int salt = 0;; ++salt) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(hash + static_cast<uint64_t>(salt)));
    boundary = std::string("----aigate-ideogram-") + hex;
    bool clash = false;
    for (const auto& field : fields)
      if (field.second.find(boundary) != std::string::npos) clash = true;
    if (!clash) break;
  }
  Multipart m;
  m.content_type = "multipart/form-data; boundary=" + boundary;
  for (const auto& [name, value] : fields)
    m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name +
              "\"\r\n\r\n" + value + "\r\n";
  m.body += "--" + boundary + "--\r\n";
  return m;
}

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int timeout_ms = 120'000;            // Ideogram answers when the image is ready
  std::string api = "v3";              // "v3" | "legacy"
  std::string rendering_speed = "DEFAULT";  // v3: TURBO | DEFAULT | QUALITY
  std::string legacy_model = "V_2";    // what the default model means with api=legacy

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("ideogram: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms",         "timeout_ms",
                                                 "api",      "rendering_speed", "legacy_model"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("ideogram: unknown setting \"" + key +
                                    "\" (known: base_url, timeout_ms, api, rendering_speed, "
                                    "legacy_model; poll_ms is accepted and unused)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("ideogram: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            "ideogram: base_url must start with http:// or https://, got \"" + s.base_url + "\"");
    }
    intSetting(j, "poll_ms", 0, 1, 600'000);  // synchronous API: checked, not used
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.api = choice(j, "api", s.api, {"v3", "legacy"});
    s.rendering_speed =
        choice(j, "rendering_speed", s.rendering_speed, {"TURBO", "DEFAULT", "QUALITY"});
    s.legacy_model = choice(j, "legacy_model", s.legacy_model, legacyModels());
    return s;
  }

  static const std::set<std::string>& legacyModels() {
    static const std::set<std::string> kModels = {"V_1",  "V_1_TURBO",  "V_2",
                                                  "V_2_TURBO", "V_2A", "V_2A_TURBO"};
    return kModels;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("ideogram: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
  static std::string choice(const json& j, const char* key, std::string fallback,
                            const std::set<std::string>& allowed) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (v.is_string() && allowed.count(v.get<std::string>())) return v.get<std::string>();
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw std::invalid_argument(std::string("ideogram: ") + key + " must be one of " + list +
                                ", got " + v.dump());
  }
};

class IdeogramPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "ideogram"},
            {"version", "1.0.0"},
            {"description",
             "Ideogram API: Ideogram 3.0 (v3 endpoint) and the legacy V_1/V_2 models."},
            {"kinds", {"image"}},
            {"models",
             {"V_3", "V_3_TURBO", "V_3_DEFAULT", "V_3_QUALITY", "V_2", "V_2_TURBO", "V_2A",
              "V_2A_TURBO", "V_1", "V_1_TURBO"}},
            {"default_model", "V_3"},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 8}, {"video", 0}}},
            {"local", false},
            {"can_cancel", false}};
  }

  explicit IdeogramPlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    // Nothing runs at Ideogram that could be stopped: the request is dropped.
    if (type == "cancel")
      return Action::fail("canceled",
                          "ideogram: canceled (Ideogram has no cancel; the request was dropped)",
                          false);
    if (!event.state().is_object() || stringAt(event.state(), "path").empty())
      return Action::fail("plugin_error", "ideogram: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return send(event, event.state());
    if (type == "http_error")
      return Action::fail("upstream_error", "ideogram: no answer: " + event.message(), true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "ideogram: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image") return invalid("Ideogram makes images only, not \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "ideogram: no API key configured for this provider",
                          false);
    std::string model = stringAt(request, "model");
    if (model.empty()) model = "V_3";
    const bool v3_model = model.rfind("V_3", 0) == 0;
    static const std::map<std::string, std::string> kSpeeds = {{"V_3_TURBO", "TURBO"},
                                                               {"V_3_DEFAULT", "DEFAULT"},
                                                               {"V_3_QUALITY", "QUALITY"}};
    if (v3_model && model != "V_3" && !kSpeeds.count(model))
      return invalid("Ideogram has no model \"" + model + "\"");
    if (!v3_model && !Settings::legacyModels().count(model))
      return invalid("Ideogram has no model \"" + model +
                     "\" (V_3, V_3_TURBO, V_3_DEFAULT, V_3_QUALITY, V_2, V_2_TURBO, V_2A, "
                     "V_2A_TURBO, V_1, V_1_TURBO)");
    // With api=legacy every request goes to /generate (a 3.0 model becomes
    // the configured legacy model); with api=v3, 3.0 models go to the v3
    // endpoint and an explicitly chosen legacy model to /generate.
    const bool use_v3 = v3_model && s_.api == "v3";
    if (v3_model && !use_v3) model = s_.legacy_model;

    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const std::string ratio = use_v3 ? v3AspectRatio(ours) : legacyAspectRatio(ours);
    if (ratio.empty()) return invalid("unsupported aspect ratio \"" + ours + "\"");
    const std::string prompt = stringAt(request, "prompt");
    const json& seed = request.contains("seed") ? request["seed"] : json();
    const bool has_seed = seed.is_number_integer() && seed.get<int64_t>() >= 0 &&
                          seed.get<int64_t>() <= 2147483647;

    json state = {{"throttled", 0}, {"model", model}};
    if (use_v3) {
      const auto speed = kSpeeds.find(model);
      std::vector<std::pair<std::string, std::string>> fields = {
          {"prompt", prompt},
          {"aspect_ratio", ratio},
          {"rendering_speed", speed == kSpeeds.end() ? s_.rendering_speed : speed->second},
          {"num_images", "1"}};
      if (has_seed) fields.emplace_back("seed", std::to_string(seed.get<int64_t>()));
      Multipart m = multipart(fields);
      state["path"] = kV3Path;
      state["content_type"] = m.content_type;
      state["body"] = std::move(m.body);
    } else {
      json image_request = {
          {"prompt", prompt}, {"aspect_ratio", ratio}, {"model", model}, {"num_images", 1}};
      if (has_seed) image_request["seed"] = seed;
      state["path"] = kLegacyPath;
      state["content_type"] = "application/json";
      state["body"] = json{{"image_request", image_request}}.dump();
    }
    return send(event, std::move(state));
  }

  Action send(const Event& event, json state) const {
    json headers = {{"api-key", apiKey(event)},
                    {"accept", "application/json"},
                    {"content-type", stringAt(state, "content_type")}};
    const std::string url = s_.base_url + stringAt(state, "path");
    const std::string body = stringAt(state, "body");
    return Action::http("POST", url, std::move(headers), body, std::move(state), s_.timeout_ms)
        .withProgress(0.1);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const int status = event.status();
    const std::string body = event.body();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "ideogram: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(body),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    if (status >= 500 || status == 408)
      return Action::fail("upstream_error",
                          "ideogram answered HTTP " + std::to_string(status) + ": " +
                              errorMessage(body),
                          true);
    if (status == 400 || status == 422) {
      const std::string reason = errorMessage(body);
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "invalid_request",
                          "ideogram: " + reason, false);
    }
    if (status == 401 || status == 403)
      return Action::fail("unauthorized",
                          "ideogram refused the API key (HTTP " + std::to_string(status) +
                              "): " + errorMessage(body),
                          false);
    if (status < 200 || status >= 300)
      return Action::fail("upstream_error",
                          "ideogram answered HTTP " + std::to_string(status) + ": " +
                              errorMessage(body),
                          false);

    const json answer = json::parse(body, nullptr, false);
    if (!answer.is_object() || !answer.contains("data") || !answer["data"].is_array())
      return malformed("an answer without a data list");
    if (answer["data"].empty()) return malformed("an empty data list");
    const json& image = answer["data"][0];
    if (!image.is_object()) return malformed("a data entry that is not an object");
    if (image.contains("is_image_safe") && image["is_image_safe"] == false)
      return Action::fail("content_policy",
                          "ideogram: the image failed Ideogram's safety check (is_image_safe: "
                          "false)",
                          false);
    const std::string url = stringAt(image, "url");
    if (url.empty()) return malformed("an image without a url");

    json output = {{"url", url}, {"mime", mimeOf(url)}};
    int w = 0, h = 0;
    const std::string resolution = stringAt(image, "resolution");
    if (std::sscanf(resolution.c_str(), "%dx%d", &w, &h) == 2 && w > 0 && h > 0) {
      output["width"] = w;
      output["height"] = h;
    }
    json usage = {{"model", state["model"]},
                  {"api", stringAt(state, "path") == kV3Path ? "v3" : "legacy"}};
    if (image.contains("seed")) usage["seed"] = image["seed"];
    if (image.contains("style_type")) usage["style_type"] = image["style_type"];
    if (!resolution.empty()) usage["resolution"] = resolution;
    return Action::done(json::array({std::move(output)}), std::move(usage));
  }

  // Ideogram serves PNG; other extensions are honoured.
  static std::string mimeOf(const std::string& url) {
    std::string path = lower(url.substr(0, url.find_first_of("?#")));
    const auto ends = [&](const std::string& ext) {
      return path.size() >= ext.size() &&
             path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    };
    if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
    if (ends(".webp")) return "image/webp";
    return "image/png";
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "ideogram: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "ideogram answered " + what, true);
  }

  Settings s_;
};

}  // namespace aigate::plugins::ideogram
