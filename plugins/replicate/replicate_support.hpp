// What the replicate plugin knows besides its state machine: its settings,
// the models it knows how to feed (which aspect ratios each takes), and how to
// read Replicate's answers (problem+json errors, Retry-After, outputs, logs).
// Pure functions over nlohmann::json; no I/O.
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
#include <vector>

namespace aigate::plugins::replicate {

using sdk::json;

inline constexpr const char* kDefaultBaseUrl = "https://api.replicate.com";
inline constexpr const char* kDefaultImageModel = "black-forest-labs/flux-schnell";
inline constexpr const char* kDefaultVideoModel = "bytedance/seedance-1-lite";
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

// --- models -----------------------------------------------------------------

// What we know of one official model: its kind and the `aspect_ratio` values
// it takes (empty: it takes none, so none is sent), and whether it takes a seed.
struct ModelProfile {
  std::string kind;
  std::vector<std::string> ratios;
  bool seed = true;
};

inline const std::map<std::string, ModelProfile>& knownModels() {
  static const std::vector<std::string> kFlux = {"1:1", "16:9", "21:9", "3:2",  "2:3", "4:5",
                                                 "5:4", "3:4",  "4:3",  "9:16", "9:21"};
  static const std::vector<std::string> kSeedance = {"16:9", "4:3",  "1:1", "3:4",
                                                     "9:16", "21:9", "9:21"};
  static const std::map<std::string, ModelProfile> kModels = {
      {"black-forest-labs/flux-schnell", {"image", kFlux, true}},
      {"black-forest-labs/flux-dev", {"image", kFlux, true}},
      {"bytedance/seedance-1-lite", {"video", kSeedance, true}},
      {"bytedance/seedance-1-pro", {"video", kSeedance, true}},
      {"google/veo-3", {"video", {"16:9", "9:16"}, true}},
      {"minimax/video-01", {"video", {}, false}},
  };
  return kModels;
}

// Width over height of "W:H", or 0 when it is not one.
inline double ratioValue(const std::string& ratio) {
  const auto colon = ratio.find(':');
  if (colon == std::string::npos) return 0;
  char* end = nullptr;
  const std::string w_text = ratio.substr(0, colon), h_text = ratio.substr(colon + 1);
  const double w = std::strtod(w_text.c_str(), &end);
  if (w_text.empty() || *end) return 0;
  const double h = std::strtod(h_text.c_str(), &end);
  if (h_text.empty() || *end || !(w > 0) || !(h > 0)) return 0;
  return w / h;
}

// The value among `allowed` nearest to `ours` (by log of width/height, so
// 2:1 and 1:2 are as far from 1:1); `ours` itself when it is allowed or
// nothing is known; "" when `ours` is not a ratio.
inline std::string nearestRatio(const std::string& ours, const std::vector<std::string>& allowed) {
  const double want = ratioValue(ours);
  if (want <= 0) return {};
  if (allowed.empty() || std::find(allowed.begin(), allowed.end(), ours) != allowed.end())
    return ours;
  std::string best;
  double best_distance = 0;
  for (const auto& candidate : allowed) {
    const double distance = std::fabs(std::log(ratioValue(candidate) / want));
    if (best.empty() || distance < best_distance - 1e-9) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

// A model reference as the client or operator gives it.
struct ModelRef {
  std::string name;     // "owner/name" ("" for a bare version id)
  std::string version;  // 64 hex digits ("" for an official model)
};

inline bool isVersionId(const std::string& text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

inline bool isModelName(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == 0 || slash == std::string::npos || slash + 1 == text.size() ||
      text.find('/', slash + 1) != std::string::npos)
    return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.';
  });
}

// Parses "owner/name", "owner/name:<version>" or "<version>"; false when it
// is none of those.
inline bool parseModel(const std::string& text, ModelRef* out) {
  if (isVersionId(text)) {
    *out = {"", text};
    return true;
  }
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  if (!isModelName(name)) return false;
  if (colon == std::string::npos) {
    *out = {name, ""};
    return true;
  }
  const std::string version = text.substr(colon + 1);
  if (!isVersionId(version)) return false;
  *out = {name, version};
  return true;
}

// --- settings ---------------------------------------------------------------

// The operator's settings, checked once at create().
struct Settings {
  std::string base_url = kDefaultBaseUrl;
  int poll_ms = 1'000;
  int timeout_ms = 60'000;
  std::string image_model = kDefaultImageModel;
  std::string video_model = kDefaultVideoModel;

  // Throws std::invalid_argument naming the bad setting.
  static Settings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("replicate: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms", "image_model",
                                                 "video_model"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("replicate: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, image_model, "
                                    "video_model)");
    Settings s;
    if (j.contains("base_url")) {
      if (!j["base_url"].is_string())
        throw std::invalid_argument("replicate: base_url must be a string");
      s.base_url = j["base_url"].get<std::string>();
      while (!s.base_url.empty() && s.base_url.back() == '/') s.base_url.pop_back();
      if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
        throw std::invalid_argument(
            "replicate: base_url must start with http:// or https://, got \"" + s.base_url + "\"");
    }
    s.poll_ms = intSetting(j, "poll_ms", s.poll_ms, 1, 600'000);
    s.timeout_ms = intSetting(j, "timeout_ms", s.timeout_ms, 100, 600'000);
    s.image_model = modelSetting(j, "image_model", s.image_model);
    s.video_model = modelSetting(j, "video_model", s.video_model);
    return s;
  }

 private:
  static int intSetting(const json& j, const char* key, int fallback, int min, int max) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_number_integer() || v.get<int64_t>() < min || v.get<int64_t>() > max)
      throw std::invalid_argument(std::string("replicate: ") + key + " must be an integer from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", got " +
                                  v.dump());
    return v.get<int>();
  }
  static std::string modelSetting(const json& j, const char* key, std::string fallback) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    ModelRef ref;
    if (!v.is_string() || !parseModel(v.get<std::string>(), &ref))
      throw std::invalid_argument(std::string("replicate: ") + key +
                                  " must be \"owner/name\", \"owner/name:<version>\" or a "
                                  "64-hex version id, got " +
                                  v.dump());
    return v.get<std::string>();
  }
};

// --- answers ----------------------------------------------------------------

// The message of an error body: problem+json {"title", "detail"} (detail
// preferred, its "- " list trimmed), {"error": "…"|{"message"}}, or the body
// itself, shortened.
inline std::string errorMessage(const std::string& body) {
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object()) {
    std::string detail = stringAt(parsed, "detail");
    if (detail.empty() && parsed.contains("invalid_fields") && parsed["invalid_fields"].is_array())
      for (const auto& field : parsed["invalid_fields"])
        if (auto d = stringAt(field, "description"); !d.empty())
          detail += (detail.empty() ? "" : "; ") + d;
    while (!detail.empty() && std::isspace(static_cast<unsigned char>(detail.back())))
      detail.pop_back();
    if (detail.rfind("- ", 0) == 0) detail.erase(0, 2);
    if (!detail.empty()) return detail;
    if (auto title = stringAt(parsed, "title"); !title.empty()) return title;
    if (auto error = stringAt(parsed, "error"); !error.empty()) return error;
    if (auto error = stringAt(parsed.value("error", json()), "message"); !error.empty())
      return error;
  }
  std::string text = body.substr(0, 300);
  return text.empty() ? std::string("(no body)") : text;
}

// The error of a failed prediction: a string, or an object/other JSON shown as text.
inline std::string predictionError(const json& prediction) {
  auto it = prediction.find("error");
  if (it == prediction.end() || it->is_null()) return "the prediction failed without an error";
  if (it->is_string()) return it->get<std::string>();
  if (auto message = stringAt(*it, "message"); !message.empty()) return message;
  return it->dump();
}

// Whether an error is a model's safety checker or Replicate's moderation
// speaking ("NSFW content detected…", "The input or output was flagged as
// sensitive… (E005)", …).
inline bool isContentPolicy(const std::string& reason) {
  const std::string text = lower(reason);
  for (const char* word : {"nsfw", "flagged as sensitive", "sensitive content", "(e005)", "safety",
                           "content policy", "moderation", "inappropriate"})
    if (text.find(word) != std::string::npos) return true;
  return false;
}

// How long a 429 asks us to wait: "Retry-After" in seconds; a date or
// nothing gives the default. Capped.
inline int retryAfterMs(const json& headers) {
  const std::string text = stringAt(headers, "retry-after");
  char* end = nullptr;
  const double seconds = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(seconds) || seconds < 0)
    return kDefaultRetryAfterMs;
  return static_cast<int>(std::min<double>(seconds * 1000.0, kMaxRetryAfterMs));
}

// The first output file of a prediction: `output` is a URL, a list of them,
// or an object holding them; "" when there is none.
inline std::string firstOutput(const json& output) {
  const auto isFile = [](const std::string& s) {
    return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0 || s.rfind("data:", 0) == 0;
  };
  if (output.is_string()) return isFile(output.get<std::string>()) ? output.get<std::string>() : "";
  if (output.is_array() || output.is_object())
    for (const auto& item : output)
      if (auto found = firstOutput(item); !found.empty()) return found;
  return {};
}

// The media type of an output URL by its extension, else the kind's default.
inline std::string mimeOf(const std::string& kind, const std::string& url) {
  const std::string path = lower(url.substr(0, url.find_first_of("?#")));
  const auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".png")) return "image/png";
  if (ends(".jpg") || ends(".jpeg")) return "image/jpeg";
  if (ends(".webp")) return "image/webp";
  if (ends(".gif")) return "image/gif";
  if (ends(".mp4")) return "video/mp4";
  return kind == "video" ? "video/mp4" : "image/webp";
}

// The last percentage a model printed to its logs ("…| 75%|███…" from tqdm),
// 0..1, or -1 when there is none.
inline double logProgress(const std::string& logs) {
  for (auto pos = logs.rfind('%'); pos != std::string::npos && pos > 0;
       pos = logs.rfind('%', pos - 1)) {
    size_t start = pos;
    while (start > 0 && std::isdigit(static_cast<unsigned char>(logs[start - 1]))) --start;
    if (start < pos && pos - start <= 3) {
      const int percent = std::atoi(logs.substr(start, pos - start).c_str());
      if (percent <= 100) return percent / 100.0;
    }
  }
  return -1;
}

}  // namespace aigate::plugins::replicate
