// A procedural scene drawn from a prompt: a background gradient and glow, and
// one shape per content word (hills, bands, waves, dots, rings, circles,
// stars) whose kind comes from the word and whose place, size and colour come
// from a PRNG seeded by the whole prompt and the request's seed. The same
// (prompt, seed) always gives the same scene; it can be drawn at any phase of
// a clip, the shapes drifting and turning and the colours slowly shifting.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "canvas.h"
#include "palette.h"

namespace aigate::plugins::local {

class Scene {
 public:
  Scene(std::string_view prompt, std::uint64_t seed);

  // Paints the scene as it is at `phase` (0: the still image and a clip's
  // first frame; 1: a clip's end) over all of `canvas`, caption included.
  // Positions scale with the canvas, so any size and aspect ratio works.
  void draw(Canvas& canvas, float phase) const;

 private:
  // In painting order: what is drawn later lies on top.
  enum class Kind { kHill, kBand, kWave, kDots, kRing, kCircle, kStar };

  // Positions are fractions of the canvas's width and height; lengths are
  // fractions of its short side unless noted; angles in radians; the *_drift
  // and spin members are how far a value moves over a whole clip.
  struct Shape {
    Kind kind = Kind::kCircle;
    int color = 0;  // index into palette_.accents
    float x = 0, y = 0;
    float x_drift = 0, y_drift = 0;
    float size = 0;       // radius, band width, dot spread or wave amplitude
    float thickness = 0;  // ring and wave stroke; band softness (× size)
    float angle = 0, spin = 0;
    float wavelength = 0;  // waves and hills, × the canvas width
    float alpha = 1;
    int points = 5;  // star tips, or the number of dots
    std::uint64_t dots_seed = 0;
  };

  static Shape makeShape(Kind kind, Rng& rng);
  void drawShape(Canvas& canvas, const Shape& shape, float phase, float hue) const;

  Palette palette_;
  float gradient_angle_ = 0;
  float glow_x_ = 0, glow_y_ = 0, glow_radius_ = 0;
  float hue_drift_ = 0;  // degrees over a clip
  std::vector<Shape> shapes_;
};

}  // namespace aigate::plugins::local
