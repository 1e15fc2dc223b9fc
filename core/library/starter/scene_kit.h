#pragma once

#include <string>
#include <vector>

#include "canvas.h"
#include "rng.h"

// Building blocks shared by several topic painters: named colours, skies, clouds, stars,
// hills and trees. Geometry is stored normalised (x in [0, 1] of the width, y in [0, 1] of
// the height) so one scene can be painted at any size of its aspect ratio.
namespace aigate::starter {

struct Swatch {
  std::string name;
  Rgb rgb;
};

// Canvas size in pixels plus helpers for normalised coordinates.
struct Frame {
  double w;
  double h;
  double s;  // the shorter side
  Point at(double nx, double ny) const { return {nx * w, ny * h}; }
};
Frame frameOf(const Canvas& canvas);

enum class DayTime { Dawn, Day, Dusk, Night };

struct Sky {
  DayTime time;
  std::string word;         // "dawn", "day", "dusk", "night"
  std::string when;         // "at dawn", "on a clear day", ...
  std::string skyPhrase;    // "violet dusk sky"
  std::string lightPhrase;  // "a low orange sun", "a crescent moon"
  Rgb top;
  Rgb horizon;
  Rgb light;
  Rgb cloud;
  bool crescent;
};

Sky pickSky(Rng& rng);
// "under a violet dusk sky"
std::string underSky(const Sky& sky);
Sky pickSky(Rng& rng, DayTime time);

// Sky gradient from the top of the canvas down to `horizonY` (normalised), flat below.
void paintSky(Canvas& canvas, const Sky& sky, double horizonY);
// Sun with a soft glow, or the moon (full or crescent) for night skies.
void paintSkyLight(Canvas& canvas, const Sky& sky, Point centre, double radius);

struct Cloud {
  double x;
  double y;
  double size;  // fraction of the shorter side
};
std::vector<Cloud> makeClouds(Rng& rng, int count, double minY, double maxY);
// Paints clouds shifted right by `drift` (normalised), wrapping around horizontally.
void paintClouds(Canvas& canvas, const std::vector<Cloud>& clouds, Rgb colour, double drift);

struct Star {
  double x;
  double y;
  double size;
  double phase;
};
std::vector<Star> makeStars(Rng& rng, int count, double maxY);
// At `twinkle` 0 every star shines fully; up to 1 each star dims on its own cycle over t.
void paintStars(Canvas& canvas, const std::vector<Star>& stars, double t, double twinkle);

// Smooth rolling hill line: y(x) = base + sum of two sines (normalised units).
struct Hill {
  double base;
  double a1, f1, p1;
  double a2, f2, p2;
  double y(double x) const;
};
Hill makeHill(Rng& rng, double base, double amplitude);
void paintHill(Canvas& canvas, const Hill& hill, Rgb colour);

// A ridge of straight-edged peaks: points alternate valley, peak, valley, ...
struct Ridge {
  std::vector<Point> points;
};
Ridge makeRidge(Rng& rng, int peaks, double valleyY, double peakMinY, double peakMaxY);
void paintRidge(Canvas& canvas, const Ridge& ridge, Rgb colour);
void paintSnowCaps(Canvas& canvas, const Ridge& ridge, Rgb snow);

void paintPineTree(Canvas& canvas, Point base, double height, Rgb colour);
void paintRoundTree(Canvas& canvas, Point base, double height, Rgb leaves, Rgb trunk);

// `colour` as seen under the sky's light: darker at dusk and night, tinted by the horizon.
Rgb litBy(Rgb colour, const Sky& sky);

// Lighter or darker variant of a colour, towards white (amount > 0) or black (amount < 0).
Rgb tone(Rgb colour, double amount);

}  // namespace aigate::starter
