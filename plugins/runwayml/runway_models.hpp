// The Runway video models the runwayml plugin offers, what each accepts
// (which endpoints, output ratios, durations, prompt length, seed), and how
// our aspect ratios and durations map onto them. Source of truth: the request
// types of @runwayml/sdk 4.20.1 (resources/text-to-video.d.ts and
// resources/image-to-video.d.ts), API version 2024-11-06.
#pragma once

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace aigate::plugins::runwayml {

// The longest promptText every model here takes, in UTF-16 code units (as
// Runway counts).
inline constexpr size_t kMaxPromptUnits = 1000;

// Every model here also takes a seed (0..2^32-1).
struct Model {
  std::string id;
  // Output sizes Runway takes as "ratio" ("W:H" in pixels), preferred first;
  // empty text_ratios: the model has no text-to-video.
  std::vector<std::string> text_ratios;
  std::vector<std::string> image_ratios;
  // Allowed durations in seconds: either a whole range, or a list.
  int min_seconds = 0;
  int max_seconds = 0;
  std::vector<int> seconds;  // when non-empty, only these

  bool hasTextToVideo() const { return !text_ratios.empty(); }
};

// The models, the default first.
inline const std::vector<Model>& models() {
  static const std::vector<std::string> kGen4Image = {"1280:720", "720:1280", "1104:832",
                                                      "832:1104", "960:960",  "1584:672"};
  static const std::vector<std::string> kVeo = {"1280:720", "720:1280", "1920:1080", "1080:1920"};
  static const std::vector<Model> kModels = {
      {"gen4.5", {"1280:720", "720:1280"}, kGen4Image, 2, 10, {}},
      {"gen4_turbo", {}, kGen4Image, 2, 10, {}},
      {"veo3.1", kVeo, kVeo, 0, 0, {4, 6, 8}},
      {"veo3.1_fast", kVeo, kVeo, 0, 0, {4, 6, 8}},
  };
  return kModels;
}

inline const Model* findModel(const std::string& id) {
  for (const auto& m : models())
    if (m.id == id) return &m;
  return nullptr;
}

// Width / height of "W:H" (both positive integers), or nullopt.
inline std::optional<std::pair<int, int>> parseRatio(const std::string& ratio) {
  const auto colon = ratio.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ratio.size()) return std::nullopt;
  char* end = nullptr;
  const long w = std::strtol(ratio.c_str(), &end, 10);
  if (end != ratio.c_str() + colon) return std::nullopt;
  const long h = std::strtol(ratio.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || w <= 0 || h <= 0 || w > 100000 || h > 100000) return std::nullopt;
  return std::make_pair(static_cast<int>(w), static_cast<int>(h));
}

// The ratio in `choices` whose shape is nearest to `aspect` ("16:9"): the
// smallest |log(w/h) - log(aspect)|, the earlier choice on a tie (so 1:1
// goes to landscape where there is no square size). nullopt when `aspect` is
// not "W:H".
inline std::optional<std::string> nearestRatio(const std::string& aspect,
                                               const std::vector<std::string>& choices) {
  const auto want = parseRatio(aspect);
  if (!want || choices.empty()) return std::nullopt;
  const double target = std::log(static_cast<double>(want->first) / want->second);
  std::optional<std::string> best;
  double best_distance = 0;
  for (const auto& choice : choices) {
    const auto size = parseRatio(choice);
    if (!size) continue;
    const double distance =
        std::fabs(std::log(static_cast<double>(size->first) / size->second) - target);
    if (!best || distance < best_distance - 1e-9) {
      best = choice;
      best_distance = distance;
    }
  }
  return best;
}

// The duration the model allows nearest to `wanted` seconds (the longer one
// on a tie).
inline int nearestSeconds(const Model& model, int wanted) {
  if (model.seconds.empty())
    return wanted < model.min_seconds   ? model.min_seconds
           : wanted > model.max_seconds ? model.max_seconds
                                        : wanted;
  int best = model.seconds.front();
  for (int s : model.seconds)
    if (std::abs(s - wanted) <= std::abs(best - wanted)) best = s;
  return best;
}

// The length of UTF-8 `text` in UTF-16 code units (how Runway measures
// promptText): characters beyond the BMP count twice.
inline size_t utf16Units(const std::string& text) {
  size_t units = 0;
  for (unsigned char ch : text) {
    if ((ch & 0xC0) == 0x80) continue;
    units += (ch >= 0xF0) ? 2 : 1;
  }
  return units;
}

}  // namespace aigate::plugins::runwayml
