// The aspect ratios the local renderer draws, and the frame size of each.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace aigate::plugins::local {

struct FrameSize {
  int width = 0;
  int height = 0;
};

// "1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9".
const std::array<std::string_view, 9>& supportedAspectRatios();

// The size of a frame of `ratio` whose long side is `long_side`: the
// short side is long_side * short / long, rounded to the nearest even number.
// nullopt when `ratio` is not one of supportedAspectRatios().
std::optional<FrameSize> frameSizeFor(std::string_view ratio, int long_side);

}  // namespace aigate::plugins::local
