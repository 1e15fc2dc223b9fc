#include "scene.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>

#include "caption.h"

namespace aigate::plugins::local {

namespace {

constexpr float kPi = 3.14159265358979f;
constexpr std::string_view kCaption = "AIGate local renderer";
constexpr int kMinShapes = 5;
constexpr std::size_t kMaxWords = 10;

// Lowercase ASCII letters and digits, and every non-ASCII byte (so that UTF-8
// words count too); anything else separates words.
std::vector<std::string> splitWords(std::string_view prompt) {
  std::vector<std::string> words;
  std::string word;
  for (const char c : prompt) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || u >= 0x80) {
      word += static_cast<char>(u < 0x80 ? std::tolower(u) : u);
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

bool isStopWord(const std::string& word) {
  static constexpr std::string_view kStop[] = {"the", "and", "with", "for", "from", "into",
                                               "of",  "in",  "on",   "at",  "a",    "an",
                                               "to",  "by",  "is",   "its", "very"};
  return std::find(std::begin(kStop), std::end(kStop), word) != std::end(kStop);
}

float frand(Rng& rng, double lo, double hi) { return static_cast<float>(rng.range(lo, hi)); }

Hsl lighter(Hsl c, float by) { return {c.h, c.s, std::min(1.0f, c.l + by)}; }
Hsl darker(Hsl c, float by) { return {c.h, c.s, std::max(0.0f, c.l - by)}; }

}  // namespace

Scene::Scene(std::string_view prompt, std::uint64_t seed) {
  const std::vector<std::string> words = splitWords(prompt);
  std::string normalized;
  for (const std::string& w : words) normalized += w + ' ';
  const std::uint64_t scene_seed = mix64(hashText(normalized) ^ mix64(seed));

  Rng rng(scene_seed);
  palette_ = choosePalette(words, rng);
  gradient_angle_ = frand(rng, 0, 2 * kPi);
  glow_x_ = frand(rng, 0.2, 0.8);
  glow_y_ = frand(rng, 0.15, 0.6);
  glow_radius_ = frand(rng, 0.5, 0.9);
  hue_drift_ = static_cast<float>(rng.sign() * rng.range(15, 40));

  constexpr int kKinds = static_cast<int>(Kind::kStar) + 1;
  std::uint64_t index = 0;
  for (const std::string& word : words) {
    if (isStopWord(word)) continue;
    if (shapes_.size() == kMaxWords) break;
    const std::uint64_t word_hash = hashText(word);
    Rng shape_rng(mix64(scene_seed ^ mix64(word_hash + ++index)));
    shapes_.push_back(makeShape(static_cast<Kind>(word_hash % kKinds), shape_rng));
  }
  while (shapes_.size() < kMinShapes) {
    Rng shape_rng(mix64(scene_seed + ++index));
    shapes_.push_back(makeShape(static_cast<Kind>(rng.below(kKinds)), shape_rng));
  }
  // Kinds in painting order; hills from the farthest (highest) to the nearest.
  std::stable_sort(shapes_.begin(), shapes_.end(), [](const Shape& a, const Shape& b) {
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.kind == Kind::kHill && a.y < b.y;
  });
}

Scene::Shape Scene::makeShape(Kind kind, Rng& rng) {
  Shape s;
  s.kind = kind;
  s.color = rng.below(4);
  s.x = frand(rng, 0.08, 0.92);
  s.y = frand(rng, 0.1, 0.85);
  s.x_drift = static_cast<float>(rng.sign() * rng.range(0.03, 0.1));
  s.y_drift = static_cast<float>(rng.sign() * rng.range(0.01, 0.05));
  s.angle = frand(rng, 0, 2 * kPi);
  s.spin = static_cast<float>(rng.sign() * rng.range(0.3, 1.2));
  switch (kind) {
    case Kind::kHill:
      s.y = frand(rng, 0.6, 0.88);
      s.size = frand(rng, 0.02, 0.08);
      s.wavelength = frand(rng, 0.5, 1.5);
      s.alpha = frand(rng, 0.8, 0.95);
      break;
    case Kind::kBand:
      s.size = frand(rng, 0.05, 0.25);
      s.thickness = frand(rng, 0.3, 1.0);
      s.spin *= 0.3f;
      s.alpha = frand(rng, 0.15, 0.35);
      break;
    case Kind::kWave:
      s.y = frand(rng, 0.2, 0.8);
      s.size = frand(rng, 0.03, 0.12);
      s.wavelength = frand(rng, 0.3, 1.0);
      s.thickness = frand(rng, 0.01, 0.03);
      s.alpha = frand(rng, 0.5, 0.85);
      break;
    case Kind::kDots:
      s.size = frand(rng, 0.2, 0.5);
      s.thickness = frand(rng, 0.004, 0.012);
      s.points = 12 + rng.below(29);
      s.dots_seed = rng.next();
      s.alpha = frand(rng, 0.55, 0.9);
      break;
    case Kind::kRing:
      s.size = frand(rng, 0.08, 0.3);
      s.thickness = frand(rng, 0.01, 0.04);
      s.alpha = frand(rng, 0.5, 0.9);
      break;
    case Kind::kCircle:
      s.size = frand(rng, 0.06, 0.28);
      s.alpha = frand(rng, 0.7, 0.95);
      break;
    case Kind::kStar:
      s.size = frand(rng, 0.05, 0.16);
      s.thickness = frand(rng, 0.38, 0.55);  // inner radius / outer radius
      s.points = 4 + rng.below(5);
      s.alpha = frand(rng, 0.8, 1.0);
      break;
  }
  return s;
}

void Scene::draw(Canvas& canvas, float phase) const {
  const float w = static_cast<float>(canvas.width());
  const float h = static_cast<float>(canvas.height());
  const float unit = std::min(w, h);
  const float hue = hue_drift_ * phase;
  canvas.fillLinearGradient(toRgb(palette_.background_from, hue),
                            toRgb(palette_.background_to, hue), gradient_angle_ + 0.25f * phase);
  canvas.addGlow((glow_x_ + 0.05f * phase) * w, glow_y_ * h, glow_radius_ * unit,
                 toRgb(palette_.glow, hue), 0.45f);
  for (const Shape& shape : shapes_) drawShape(canvas, shape, phase, hue);
  drawCaption(canvas, kCaption);
}

void Scene::drawShape(Canvas& canvas, const Shape& s, float phase, float hue) const {
  const float w = static_cast<float>(canvas.width());
  const float h = static_cast<float>(canvas.height());
  const float unit = std::min(w, h);
  const float cx = (s.x + s.x_drift * phase) * w;
  const float cy = (s.y + s.y_drift * phase) * h;
  const float angle = s.angle + s.spin * phase;
  const Hsl color = palette_.accents[static_cast<std::size_t>(s.color)];
  switch (s.kind) {
    case Kind::kHill:
      canvas.fillHill(s.y * h, s.size * unit, s.wavelength * w, angle, toRgb(color, hue),
                      toRgb(darker(color, 0.3f), hue), s.alpha);
      break;
    case Kind::kBand:
      canvas.fillBand(cx, cy, angle, s.size * unit, s.thickness * s.size * unit,
                      toRgb(lighter(color, 0.15f), hue), s.alpha);
      break;
    case Kind::kWave:
      canvas.strokeWave(cy, s.size * unit, s.wavelength * w, s.angle + 2 * kPi * s.spin * phase,
                        s.thickness * unit, toRgb(color, hue), s.alpha);
      break;
    case Kind::kDots: {
      Rng dots(s.dots_seed);
      const Color ink = toRgb(lighter(color, 0.25f), hue);
      for (int i = 0; i < s.points; ++i) {
        const float dx = frand(dots, -1, 1) * s.size * unit;
        const float dy = frand(dots, -1, 1) * s.size * unit * 0.6f;
        const float radius = frand(dots, 0.4, 1.0) * s.thickness * unit + 0.5f;
        const float twinkle = 0.65f + 0.35f * std::sin(2 * kPi * (frand(dots, 0, 1) + 2 * phase));
        canvas.fillCircle(cx + dx, cy + dy, radius, ink, ink, s.alpha * twinkle);
      }
      break;
    }
    case Kind::kRing:
      canvas.strokeRing(cx, cy, s.size * unit, s.thickness * unit, toRgb(lighter(color, 0.1f), hue),
                        s.alpha);
      break;
    case Kind::kCircle:
      canvas.fillCircle(cx, cy, s.size * unit, toRgb(lighter(color, 0.18f), hue),
                        toRgb(darker(color, 0.08f), hue), s.alpha);
      break;
    case Kind::kStar:
      canvas.fillStar(cx, cy, s.size * unit, s.thickness * s.size * unit, s.points, angle,
                      toRgb(lighter(color, 0.2f), hue), s.alpha);
      break;
  }
}

}  // namespace aigate::plugins::local
