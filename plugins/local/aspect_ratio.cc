#include "aspect_ratio.h"

#include <algorithm>
#include <cmath>

namespace aigate::plugins::local {

namespace {

struct Ratio {
  std::string_view name;
  int w;
  int h;
};

constexpr std::array<Ratio, 9> kRatios = {{{"1:1", 1, 1},
                                           {"9:16", 9, 16},
                                           {"16:9", 16, 9},
                                           {"4:5", 4, 5},
                                           {"3:4", 3, 4},
                                           {"4:3", 4, 3},
                                           {"2:3", 2, 3},
                                           {"3:2", 3, 2},
                                           {"21:9", 21, 9}}};

}  // namespace

const std::array<std::string_view, 9>& supportedAspectRatios() {
  static const std::array<std::string_view, 9> kNames = [] {
    std::array<std::string_view, 9> names;
    for (std::size_t i = 0; i < kRatios.size(); ++i) names[i] = kRatios[i].name;
    return names;
  }();
  return kNames;
}

std::optional<FrameSize> frameSizeFor(std::string_view ratio, int long_side) {
  for (const Ratio& r : kRatios) {
    if (r.name != ratio) continue;
    const int long_units = std::max(r.w, r.h);
    const int short_units = std::min(r.w, r.h);
    const double short_side = static_cast<double>(long_side) * short_units / long_units;
    const int short_even = std::max(2, 2 * static_cast<int>(std::lround(short_side / 2)));
    return r.w >= r.h ? FrameSize{long_side, short_even} : FrameSize{short_even, long_side};
  }
  return std::nullopt;
}

}  // namespace aigate::plugins::local
