// The caption bar at the bottom of every local rendering, in a tiny built-in
// bitmap font.
#pragma once

#include <string_view>

#include "canvas.h"

namespace aigate::plugins::local {

// Darkens a strip along the bottom of `canvas` and writes `text` centred in it
// with a 5×7 pixel font scaled to the canvas. The font has only the letters of
// "AIGate local renderer"; other characters are drawn as blanks.
void drawCaption(Canvas& canvas, std::string_view text);

}  // namespace aigate::plugins::local
