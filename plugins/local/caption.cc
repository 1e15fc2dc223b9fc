#include "caption.h"

#include <algorithm>
#include <array>

namespace aigate::plugins::local {

namespace {

constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;

struct Glyph {
  char c;
  std::array<const char*, kGlyphHeight> rows;  // '#' is ink
};

constexpr std::array<Glyph, 12> kFont = {{
    {'A', {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"}},
    {'G', {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".###."}},
    {'I', {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."}},
    {'a', {".....", ".....", ".###.", "....#", ".####", "#...#", ".####"}},
    {'c', {".....", ".....", ".###.", "#...#", "#....", "#...#", ".###."}},
    {'d', {"....#", "....#", ".##.#", "#..##", "#...#", "#...#", ".####"}},
    {'e', {".....", ".....", ".###.", "#...#", "#####", "#....", ".###."}},
    {'l', {".##..", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."}},
    {'n', {".....", ".....", "#.##.", "##..#", "#...#", "#...#", "#...#"}},
    {'o', {".....", ".....", ".###.", "#...#", "#...#", "#...#", ".###."}},
    {'r', {".....", ".....", "#.##.", "##..#", "#....", "#....", "#...."}},
    {'t', {"..#..", "..#..", "#####", "..#..", "..#..", "..#..", "...##"}},
}};

const Glyph* findGlyph(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return &g;
  }
  return nullptr;
}

}  // namespace

void drawCaption(Canvas& canvas, std::string_view text) {
  const int advance = kGlyphWidth + 1;
  const int text_units = static_cast<int>(text.size()) * advance - 1;
  int scale = std::max(1, std::max(canvas.width(), canvas.height()) / 320);
  while (scale > 1 && (text_units + 4) * scale > canvas.width()) --scale;
  const int bar = (kGlyphHeight + 4) * scale;
  canvas.fillRect(0, canvas.height() - bar, canvas.width(), canvas.height(), Color{0, 0, 0}, 0.45f);
  if ((text_units + 4) * scale > canvas.width()) return;

  const int left = (canvas.width() - text_units * scale) / 2;
  const int top = canvas.height() - bar + 2 * scale;
  const Color ink{240, 240, 240};
  for (std::size_t i = 0; i < text.size(); ++i) {
    const Glyph* glyph = findGlyph(text[i]);
    if (glyph == nullptr) continue;
    const int gx = left + static_cast<int>(i) * advance * scale;
    for (int row = 0; row < kGlyphHeight; ++row) {
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (glyph->rows[row][col] != '#') continue;
        canvas.fillRect(gx + col * scale, top + row * scale, gx + (col + 1) * scale,
                        top + (row + 1) * scale, ink, 0.9f);
      }
    }
  }
}

}  // namespace aigate::plugins::local
