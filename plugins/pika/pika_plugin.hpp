// "pika": videos from Pika's text-to-video models as fal.ai serves them,
// through fal's queue API (../fal/fal_queue.hpp speaks the protocol; see
// README.md for the mappings).
//
//   input:  {prompt, aspect_ratio: 16:9 | 9:16 | 1:1 | 4:5 | 5:4 | 3:2 | 2:3, seed,
//            resolution: 720p | 1080p, duration: 5 | 10}   (the last two: v2.2 only)
//   output: {video: {url, content_type?, …}}
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "../fal/fal_queue.hpp"

namespace aigate::plugins::pika {

using fal::FalQueue;
using fal::QueueSettings;
using fal::stringAt;
using sdk::Action;
using sdk::Event;
using sdk::json;

inline constexpr const char* kModelV22 = "fal-ai/pika/v2.2/text-to-video";
inline constexpr const char* kModelV21 = "fal-ai/pika/v2.1/text-to-video";
inline constexpr const char* kModelTurbo = "fal-ai/pika/v2/turbo/text-to-video";

// Pika's aspect ratio for one of ours ("" when unknown): the five Pika has
// pass through; 3:4 becomes 4:5, 4:3 becomes 5:4, 21:9 becomes 16:9 (nearest).
inline std::string pikaAspectRatio(const std::string& ours) {
  static const std::set<std::string> kSame = {"16:9", "9:16", "1:1", "4:5", "3:2", "2:3"};
  if (kSame.count(ours)) return ours;
  if (ours == "3:4") return "4:5";
  if (ours == "4:3") return "5:4";
  if (ours == "21:9") return "16:9";
  return {};
}

// The operator's settings, checked once at create().
struct PikaSettings {
  QueueSettings queue{fal::kQueueBaseUrl, 2'000, 60'000};
  int duration_s = 5;
  std::string resolution = "720p";

  // Throws std::invalid_argument naming the bad setting.
  static PikaSettings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("pika: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms", "duration_s",
                                                 "resolution"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("pika: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, duration_s, "
                                    "resolution)");
    PikaSettings s;
    s.queue = QueueSettings::fromJson(j, "pika", s.queue);
    if (j.contains("duration_s")) {
      const json& v = j["duration_s"];
      if (!v.is_number_integer() || (v.get<int64_t>() != 5 && v.get<int64_t>() != 10))
        throw std::invalid_argument("pika: duration_s must be 5 or 10, got " + v.dump());
      s.duration_s = v.get<int>();
    }
    if (j.contains("resolution")) {
      const json& v = j["resolution"];
      if (!v.is_string() || (v != "720p" && v != "1080p"))
        throw std::invalid_argument("pika: resolution must be 720p or 1080p, got " + v.dump());
      s.resolution = v.get<std::string>();
    }
    return s;
  }
};

class PikaPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {
        {"name", "pika"},
        {"version", "1.0.0"},
        {"description", "Pika text-to-video (2.2, 2.1, 2.0 Turbo) served by fal.ai's queue API."},
        {"kinds", {"video"}},
        {"models", {kModelV22, kModelV21, kModelTurbo}},
        {"default_model", kModelV22},
        {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
        {"price", {{"video", 100}}},
        {"local", false},
        {"can_cancel", true}};
  }

  explicit PikaPlugin(const json& settings)
      : s_(PikaSettings::fromJson(settings)), queue_("pika", s_.queue) {}

  Action step(const Event& event) override {
    if (event.type() == "start") return start(event);
    return queue_.step(
        event, [this](const json& output, const json& state) { return onResult(output, state); });
  }

 private:
  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "video") return queue_.invalid("Pika makes videos only, not \"" + kind + "\"");
    std::string model = stringAt(request, "model");
    if (model.empty()) model = kModelV22;
    if (model != kModelV22 && model != kModelV21 && model != kModelTurbo)
      return queue_.invalid("no Pika model \"" + model + "\" (" + kModelV22 + ", " + kModelV21 +
                            ", " + kModelTurbo + ")");
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("16:9");
    const std::string ratio = pikaAspectRatio(ours);
    if (ratio.empty()) return queue_.invalid("unsupported aspect ratio \"" + ours + "\"");
    json input = {{"prompt", stringAt(request, "prompt")}, {"aspect_ratio", ratio}};
    if (request.contains("seed") && request["seed"].is_number_integer())
      input["seed"] = request["seed"];
    const bool v22 = model == kModelV22;
    if (v22) {
      input["resolution"] = s_.resolution;
      input["duration"] = s_.duration_s;
    }
    return queue_.submit(event, model, input,
                         {{"kind", "video"}, {"duration_s", v22 ? s_.duration_s : 5}});
  }

  Action onResult(const json& output, const json& state) const {
    const json& video = output.value("video", json());
    const std::string url = stringAt(video, "url");
    if (url.empty()) return queue_.malformed("a video result without video.url");
    std::string mime = stringAt(video, "content_type");
    if (mime.rfind("video/", 0) != 0) mime = "video/mp4";
    const auto it = state.find("duration_s");
    const int duration_s = it != state.end() && it->is_number_integer() ? it->get<int>() : 5;
    json out = {{"url", url}, {"mime", mime}, {"duration_s", duration_s}};
    json usage = {{"provider_job_id", stringAt(state, "request_id")},
                  {"model", stringAt(state, "model")},
                  {"duration_s", duration_s}};
    return Action::done(json::array({std::move(out)}), std::move(usage));
  }

  PikaSettings s_;
  FalQueue queue_;
};

}  // namespace aigate::plugins::pika
