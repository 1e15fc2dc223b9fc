// The `local` provider: renders images and short videos on this machine, with
// no network, as abstract procedural pictures of the prompt's words. It is
// honest about being no AI model; the gateway uses it as the always-available
// default and for trying the API offline.
#include <aigate/plugin.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

#include "aspect_ratio.h"
#include "base64.h"
#include "renderer.h"
#include "scene.h"
#include "settings.h"

namespace aigate::plugins::local {

namespace {

using sdk::Action;
using sdk::Event;
using sdk::json;

constexpr const char* kModel = "procedural-1";

const json& field(const json& object, const char* key) {
  static const json kNull;
  const auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// An integer seed as 64 bits (a negative one keeps its two's-complement
// bits); no seed is 0.
std::uint64_t seedBits(const json& seed) {
  if (seed.is_number_unsigned()) return seed.get<std::uint64_t>();
  if (seed.is_number_integer()) return static_cast<std::uint64_t>(seed.get<std::int64_t>());
  return 0;
}

Action invalid(const std::string& message) {
  return Action::fail("invalid_request", "local: " + message, false);
}

class LocalPlugin : public sdk::Plugin {
 public:
  static json describe() {
    json ratios = json::array();
    for (const auto ratio : supportedAspectRatios()) ratios.push_back(ratio);
    return {{"name", "local"},
            {"version", "1.0.0"},
            {"description",
             "Local procedural renderer: draws abstract shapes from the prompt's words, offline. "
             "Not an AI model."},
            {"kinds", {"image", "video"}},
            {"models", {kModel}},
            {"default_model", kModel},
            {"aspect_ratios", ratios},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", true},
            {"can_cancel", false}};
  }

  explicit LocalPlugin(const json& settings) : settings_(RenderSettings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event.request());
    if (type == "cancel") return Action::fail("canceled", "local: the job was canceled", false);
    return invalid("unexpected event \"" + type +
                   "\": the local renderer answers \"start\" at once");
  }

 private:
  Action start(const json& request) const {
    if (!request.is_object()) return invalid("the start event has no request object");
    const json& kind = field(request, "kind");
    if (kind != "image" && kind != "video") {
      return invalid("kind must be \"image\" or \"video\", got " + kind.dump());
    }
    const json& prompt = field(request, "prompt");
    if (!prompt.is_string()) return invalid("prompt must be a string");
    const json& model = field(request, "model");
    if (!model.is_null() && model != kModel) {
      return invalid("unknown model " + model.dump() + "; the local renderer has \"" +
                     std::string(kModel) + "\"");
    }
    const json& seed = field(request, "seed");
    if (!seed.is_null() && !seed.is_number_integer()) return invalid("seed must be an integer");
    const json& ratio = field(request, "aspect_ratio");
    if (!ratio.is_null() && !ratio.is_string()) return invalid("aspect_ratio must be a string");
    const std::string ratio_name = ratio.is_string() ? ratio.get<std::string>() : "1:1";

    const bool video = kind == "video";
    const auto size =
        frameSizeFor(ratio_name, video ? settings_.video_long_side : settings_.image_long_side);
    if (!size) {
      std::string known;
      for (const auto r : supportedAspectRatios())
        known += (known.empty() ? "" : ", ") + std::string(r);
      return invalid("unsupported aspect_ratio \"" + ratio_name + "\" (supported: " + known + ")");
    }

    const auto began = std::chrono::steady_clock::now();
    const Scene scene(prompt.get<std::string>(), seedBits(seed));
    const int frames =
        std::max(1, static_cast<int>(std::lround(settings_.video_seconds * settings_.fps)));
    const Rendering out =
        video ? renderVideo(scene, *size, settings_.fps, frames) : renderImage(scene, *size);
    json output = {{"data_base64", base64Encode(out.bytes)},
                   {"mime", out.mime},
                   {"width", out.width},
                   {"height", out.height}};
    if (out.duration_s) output["duration_s"] = *out.duration_s;
    const auto render_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::steady_clock::now() - began)
                               .count();
    return Action::done(json::array({std::move(output)}),
                        {{"renderer", kModel}, {"render_ms", render_ms}});
  }

  RenderSettings settings_;
};

}  // namespace

}  // namespace aigate::plugins::local

AIGATE_PLUGIN(aigate::plugins::local::LocalPlugin, "local")
