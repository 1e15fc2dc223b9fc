// "fal": images and videos from any model on fal.ai, through fal's queue API
// (fal_queue.hpp speaks the protocol; see README.md for the mappings).
//
//   image input: {prompt, image_size: square_hd | landscape_16_9 | …, seed, num_images: 1}
//       output:  {images: [{url, width, height, content_type}], has_nsfw_concepts?: [bool]}
//                (or {image: {url, …}})
//   video input: {prompt, aspect_ratio: "16:9" | "9:16" | "1:1"}
//       output:  {video: {url, content_type?}}
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "fal_queue.hpp"

namespace aigate::plugins::fal {

inline constexpr const char* kDefaultImageModel = "fal-ai/flux/dev";
inline constexpr const char* kDefaultVideoModel = "fal-ai/kling-video/v2/master/text-to-video";

// fal's image_size enum for one of our aspect ratios ("" when unknown): the
// nearest of square_hd (1:1), landscape/portrait 4:3 and 16:9.
inline std::string imageSizeOf(const std::string& ratio) {
  if (ratio == "1:1") return "square_hd";
  if (ratio == "16:9" || ratio == "21:9") return "landscape_16_9";
  if (ratio == "9:16") return "portrait_16_9";
  if (ratio == "4:3" || ratio == "3:2") return "landscape_4_3";
  if (ratio == "3:4" || ratio == "4:5" || ratio == "2:3") return "portrait_4_3";
  return {};
}

// The video aspect_ratio for one of ours ("" when unknown): by orientation,
// the three every fal video model takes.
inline std::string videoRatioOf(const std::string& ratio) {
  if (ratio == "1:1") return "1:1";
  if (ratio == "16:9" || ratio == "21:9" || ratio == "4:3" || ratio == "3:2") return "16:9";
  if (ratio == "9:16" || ratio == "3:4" || ratio == "4:5" || ratio == "2:3") return "9:16";
  return {};
}

// The operator's settings, checked once at create().
struct FalSettings {
  QueueSettings queue;
  std::string image_model = kDefaultImageModel;
  std::string video_model = kDefaultVideoModel;

  // Throws std::invalid_argument naming the bad setting.
  static FalSettings fromJson(const json& j) {
    if (j.is_null()) return {};
    if (!j.is_object()) throw std::invalid_argument("fal: settings must be a JSON object");
    static const std::set<std::string> kKnown = {"base_url", "poll_ms", "timeout_ms", "image_model",
                                                 "video_model"};
    for (const auto& [key, value] : j.items())
      if (!kKnown.count(key))
        throw std::invalid_argument("fal: unknown setting \"" + key +
                                    "\" (known: base_url, poll_ms, timeout_ms, image_model, "
                                    "video_model)");
    FalSettings s;
    s.queue = QueueSettings::fromJson(j, "fal", s.queue);
    s.image_model = model(j, "image_model", s.image_model);
    s.video_model = model(j, "video_model", s.video_model);
    return s;
  }

 private:
  static std::string model(const json& j, const char* key, std::string fallback) {
    if (!j.contains(key)) return fallback;
    const json& v = j[key];
    if (!v.is_string() || appIdOf(v.get<std::string>()).empty())
      throw std::invalid_argument(std::string("fal: ") + key +
                                  " must be a fal model id like \"fal-ai/flux/dev\", got " +
                                  v.dump());
    return v.get<std::string>();
  }
};

class FalPlugin : public sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "fal"},
            {"version", "1.0.0"},
            {"description",
             "fal.ai queue API: any fal image or video model (default FLUX.1 [dev] and Kling 2 "
             "Master)."},
            {"kinds", {"image", "video"}},
            {"models", {kDefaultImageModel, kDefaultVideoModel}},
            {"default_model", kDefaultImageModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit FalPlugin(const json& settings)
      : s_(FalSettings::fromJson(settings)), queue_("fal", s_.queue) {}

  Action step(const Event& event) override {
    if (event.type() == "start") return start(event);
    return queue_.step(
        event, [this](const json& output, const json& state) { return onResult(output, state); });
  }

 private:
  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image" && kind != "video")
      return queue_.invalid("kind must be \"image\" or \"video\", got \"" + kind + "\"");
    const std::string model = modelFor(kind, stringAt(request, "model"));
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    json input = {{"prompt", stringAt(request, "prompt")}};
    if (kind == "image") {
      const std::string size = imageSizeOf(ours);
      if (size.empty()) return queue_.invalid("unsupported aspect ratio \"" + ours + "\"");
      input["image_size"] = size;
      input["num_images"] = 1;
      if (request.contains("seed") && request["seed"].is_number_integer())
        input["seed"] = request["seed"];
    } else {
      const std::string ratio = videoRatioOf(ours);
      if (ratio.empty()) return queue_.invalid("unsupported aspect ratio \"" + ours + "\"");
      input["aspect_ratio"] = ratio;
    }
    return queue_.submit(event, model, input, {{"kind", kind}});
  }

  // The host fills describe()'s one default into a request without a model:
  // that default, none, or the other kind's configured model means this kind's.
  std::string modelFor(const std::string& kind, const std::string& requested) const {
    const std::string& mine = kind == "image" ? s_.image_model : s_.video_model;
    const std::string& other = kind == "image" ? s_.video_model : s_.image_model;
    if (requested.empty() || requested == kDefaultImageModel || requested == other) return mine;
    return requested;
  }

  Action onResult(const json& output, const json& state) const {
    json usage = {{"provider_job_id", stringAt(state, "request_id")},
                  {"model", stringAt(state, "model")}};
    if (stringAt(state, "kind") == "video") {
      const json& video = output.value("video", json());
      const std::string url = stringAt(video, "url");
      if (url.empty()) return queue_.malformed("a video result without video.url");
      std::string mime = stringAt(video, "content_type");
      if (mime.rfind("video/", 0) != 0) mime = "video/mp4";
      return Action::done(json::array({{{"url", url}, {"mime", mime}}}), std::move(usage));
    }
    // Safety-checked models black out a flagged image and say so in
    // has_nsfw_concepts; the first unflagged image is the answer.
    const json& flags = output.value("has_nsfw_concepts", json::array());
    json images = output.value("images", json::array());
    if (!images.is_array()) images = json::array();
    if (images.empty() && output.contains("image")) images.push_back(output["image"]);
    bool flagged = false;
    for (size_t i = 0; i < images.size(); ++i) {
      if (flags.is_array() && i < flags.size() && flags[i].is_boolean() && flags[i].get<bool>()) {
        flagged = true;
        continue;
      }
      const std::string url = stringAt(images[i], "url");
      if (url.empty()) continue;
      json out = {{"url", url}, {"mime", imageMime(stringAt(images[i], "content_type"), url)}};
      for (const char* dim : {"width", "height"})
        if (images[i].contains(dim) && images[i][dim].is_number_integer())
          out[dim] = images[i][dim];
      return Action::done(json::array({std::move(out)}), std::move(usage));
    }
    if (flagged)
      return queue_.contentPolicy(
          "the model's safety checker flagged the image (has_nsfw_concepts)");
    return queue_.malformed("an image result without images[].url");
  }

  static std::string imageMime(const std::string& content_type, const std::string& url) {
    if (content_type.rfind("image/", 0) == 0) return content_type;
    const std::string path = lower(url.substr(0, url.find_first_of("?#")));
    const auto ends = [&](const std::string& ext) {
      return path.size() >= ext.size() &&
             path.compare(path.size() - ext.size(), ext.size(), ext) == 0;
    };
    if (ends(".png")) return "image/png";
    if (ends(".webp")) return "image/webp";
    return "image/jpeg";
  }

  FalSettings s_;
  FalQueue queue_;
};

}  // namespace aigate::plugins::fal
