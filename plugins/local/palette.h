// The colours of a scene, steered by the prompt's colour words ("red",
// "ocean", "sunset", "night", "pastel"…) and otherwise drawn from the seed.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "canvas.h"
#include "rng.h"

namespace aigate::plugins::local {

// Hue in degrees (any value; taken modulo 360), saturation and lightness in 0..1.
struct Hsl {
  float h = 0;
  float s = 0;
  float l = 0;
};

// `hsl` with its hue turned by `degrees`, as RGB.
Color toRgb(Hsl hsl, float degrees = 0);

struct Palette {
  Hsl background_from;  // the ends of the background gradient
  Hsl background_to;
  Hsl glow;                    // a soft light behind the shapes
  std::array<Hsl, 4> accents;  // the shapes' colours
};

// `words` are the prompt's lowercase words, in order. Draws what the words do
// not decide from `rng`.
Palette choosePalette(const std::vector<std::string>& words, Rng& rng);

}  // namespace aigate::plugins::local
