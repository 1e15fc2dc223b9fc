// The operator's settings of a local provider, validated once at create().
#pragma once

#include <nlohmann/json.hpp>

namespace aigate::plugins::local {

struct RenderSettings {
  int image_long_side = 1024;  // pixels, 64..4096
  int video_long_side = 640;   // pixels, even, 64..1920
  double video_seconds = 3.0;  // 0.5..10
  int fps = 24;                // 1..60

  // Reads {"image_long_side", "video_long_side", "video_seconds", "fps"}, each
  // optional; null or an empty object gives the defaults. Throws
  // std::invalid_argument naming the setting on a wrong type, a value out of
  // range or an unknown key.
  static RenderSettings fromJson(const nlohmann::json& settings);
};

}  // namespace aigate::plugins::local
