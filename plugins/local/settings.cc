#include "settings.h"

#include <stdexcept>
#include <string>

namespace aigate::plugins::local {

namespace {

int readInt(const nlohmann::json& value, const std::string& key, int lo, int hi) {
  if (!value.is_number_integer()) {
    throw std::invalid_argument("local: setting \"" + key + "\" must be an integer, got " +
                                value.dump());
  }
  const auto v = value.get<long long>();
  if (v < lo || v > hi) {
    throw std::invalid_argument("local: setting \"" + key + "\" must be in " + std::to_string(lo) +
                                ".." + std::to_string(hi) + ", got " + std::to_string(v));
  }
  return static_cast<int>(v);
}

// `range` spells lo..hi for the message.
double readNumber(const nlohmann::json& value, const std::string& key, double lo, double hi,
                  const std::string& range) {
  if (!value.is_number()) {
    throw std::invalid_argument("local: setting \"" + key + "\" must be a number, got " +
                                value.dump());
  }
  const auto v = value.get<double>();
  if (!(v >= lo && v <= hi)) {
    throw std::invalid_argument("local: setting \"" + key + "\" must be in " + range + ", got " +
                                value.dump());
  }
  return v;
}

}  // namespace

RenderSettings RenderSettings::fromJson(const nlohmann::json& settings) {
  RenderSettings out;
  if (settings.is_null()) return out;
  if (!settings.is_object()) {
    throw std::invalid_argument("local: settings must be a JSON object, got " + settings.dump());
  }
  for (const auto& [key, value] : settings.items()) {
    if (key == "image_long_side") {
      out.image_long_side = readInt(value, key, 64, 4096);
    } else if (key == "video_long_side") {
      out.video_long_side = readInt(value, key, 64, 1920);
      if (out.video_long_side % 2 != 0) {
        throw std::invalid_argument(
            "local: setting \"video_long_side\" must be even (H.264 "
            "4:2:0), got " +
            std::to_string(out.video_long_side));
      }
    } else if (key == "video_seconds") {
      out.video_seconds = readNumber(value, key, 0.5, 10.0, "0.5..10");
    } else if (key == "fps") {
      out.fps = readInt(value, key, 1, 60);
    } else {
      throw std::invalid_argument("local: unknown setting \"" + key +
                                  "\" (known: image_long_side, video_long_side, "
                                  "video_seconds, fps)");
    }
  }
  return out;
}

}  // namespace aigate::plugins::local
