#include "palette.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

namespace aigate::plugins::local {

namespace {

enum class Tone { kAny, kDark, kLight, kMuted, kVivid };

struct ColorWord {
  std::string_view word;
  float hue;  // < 0: the word sets only a tone
  Tone tone;
};

constexpr ColorWord kColorWords[] = {
    {"red", 0, Tone::kAny},        {"crimson", 348, Tone::kAny},    {"scarlet", 5, Tone::kVivid},
    {"orange", 28, Tone::kAny},    {"amber", 40, Tone::kAny},       {"gold", 45, Tone::kAny},
    {"golden", 45, Tone::kAny},    {"yellow", 55, Tone::kAny},      {"lemon", 58, Tone::kLight},
    {"lime", 90, Tone::kVivid},    {"green", 125, Tone::kAny},      {"grass", 110, Tone::kAny},
    {"forest", 135, Tone::kDark},  {"jungle", 130, Tone::kAny},     {"emerald", 145, Tone::kAny},
    {"mint", 155, Tone::kLight},   {"teal", 175, Tone::kAny},       {"turquoise", 172, Tone::kAny},
    {"cyan", 185, Tone::kAny},     {"aqua", 185, Tone::kLight},     {"sea", 198, Tone::kAny},
    {"ocean", 205, Tone::kAny},    {"sky", 205, Tone::kLight},      {"blue", 220, Tone::kAny},
    {"navy", 228, Tone::kDark},    {"indigo", 250, Tone::kAny},     {"purple", 275, Tone::kAny},
    {"violet", 282, Tone::kAny},   {"lavender", 268, Tone::kLight}, {"magenta", 305, Tone::kVivid},
    {"pink", 330, Tone::kLight},   {"rose", 340, Tone::kAny},       {"sunset", 15, Tone::kVivid},
    {"sunrise", 35, Tone::kLight}, {"fire", 8, Tone::kVivid},       {"flame", 12, Tone::kVivid},
    {"lava", 5, Tone::kDark},      {"autumn", 25, Tone::kAny},      {"desert", 35, Tone::kMuted},
    {"sand", 40, Tone::kLight},    {"spring", 100, Tone::kLight},   {"winter", 200, Tone::kMuted},
    {"snow", 205, Tone::kLight},   {"ice", 190, Tone::kLight},      {"storm", 215, Tone::kMuted},
    {"night", 235, Tone::kDark},   {"midnight", 240, Tone::kDark},  {"space", 255, Tone::kDark},
    {"galaxy", 270, Tone::kDark},  {"dark", -1, Tone::kDark},       {"black", -1, Tone::kDark},
    {"shadow", -1, Tone::kDark},   {"bright", -1, Tone::kLight},    {"white", -1, Tone::kLight},
    {"pastel", -1, Tone::kLight},  {"soft", -1, Tone::kLight},      {"gray", -1, Tone::kMuted},
    {"grey", -1, Tone::kMuted},    {"misty", -1, Tone::kMuted},     {"fog", -1, Tone::kMuted},
    {"neon", -1, Tone::kVivid},    {"vivid", -1, Tone::kVivid},     {"electric", -1, Tone::kVivid},
};

// Hue offsets of the four accents from the base hue.
constexpr std::array<std::array<float, 4>, 4> kSchemes = {{
    {0, 25, -25, 50},    // analogous
    {0, 180, 20, 200},   // complementary
    {0, 120, 240, 30},   // triadic
    {0, 150, 210, -20},  // split complementary
}};

float hueToChannel(float p, float q, float t) {
  if (t < 0) t += 1;
  if (t > 1) t -= 1;
  if (t < 1.0f / 6) return p + (q - p) * 6 * t;
  if (t < 0.5f) return q;
  if (t < 2.0f / 3) return p + (q - p) * (2.0f / 3 - t) * 6;
  return p;
}

}  // namespace

Color toRgb(Hsl hsl, float degrees) {
  float h = std::fmod(hsl.h + degrees, 360.0f);
  if (h < 0) h += 360;
  h /= 360;
  const float s = std::clamp(hsl.s, 0.0f, 1.0f);
  const float l = std::clamp(hsl.l, 0.0f, 1.0f);
  const float q = l < 0.5f ? l * (1 + s) : l + s - l * s;
  const float p = 2 * l - q;
  return {255 * hueToChannel(p, q, h + 1.0f / 3), 255 * hueToChannel(p, q, h),
          255 * hueToChannel(p, q, h - 1.0f / 3)};
}

Palette choosePalette(const std::vector<std::string>& words, Rng& rng) {
  std::vector<float> hues;
  std::optional<Tone> tone;
  for (const std::string& word : words) {
    for (const ColorWord& c : kColorWords) {
      if (c.word != word) continue;
      if (c.hue >= 0 && hues.size() < 4) hues.push_back(c.hue);
      if (c.tone != Tone::kAny && !tone) tone = c.tone;
    }
  }

  const float base = hues.empty() ? static_cast<float>(rng.range(0, 360)) : hues[0];
  const auto& scheme = kSchemes[rng.below(static_cast<int>(kSchemes.size()))];
  const Tone mood = tone.value_or(Tone::kAny);
  const bool dark = mood == Tone::kDark || (mood != Tone::kLight && rng.uniform() < 0.6);
  float sat = static_cast<float>(rng.range(0.55, 0.85));
  if (mood == Tone::kMuted) sat = 0.38f;
  if (mood == Tone::kVivid) sat = 0.95f;

  Palette p;
  const float bg_hue = base + static_cast<float>(rng.range(-20, 20));
  if (dark) {
    p.background_from = {bg_hue, sat * 0.6f, static_cast<float>(rng.range(0.08, 0.16))};
    p.background_to = {bg_hue + 35, sat * 0.7f, static_cast<float>(rng.range(0.24, 0.34))};
  } else {
    p.background_from = {bg_hue, sat * 0.7f, static_cast<float>(rng.range(0.82, 0.92))};
    p.background_to = {bg_hue + 35, sat * 0.8f, static_cast<float>(rng.range(0.6, 0.72))};
  }
  p.glow = {base + scheme[1], sat, dark ? 0.7f : 0.96f};
  for (std::size_t i = 0; i < p.accents.size(); ++i) {
    const float hue =
        i < hues.size() ? hues[i] : base + scheme[i] + static_cast<float>(rng.range(-8, 8));
    const float light =
        dark ? static_cast<float>(rng.range(0.52, 0.7)) : static_cast<float>(rng.range(0.38, 0.55));
    p.accents[i] = {hue, std::min(0.88f, sat + 0.05f), light};
  }
  return p;
}

}  // namespace aigate::plugins::local
