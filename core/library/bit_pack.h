// Bit packing for the search index's columns (posting_list.h,
// seq_column.h): runs of unsigned values stored at a fixed bit width, read
// back one at a time with a single 8-byte load.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace aigate::library::bitpack {

// Packed runs (and the posting bitmaps) are read as little-endian words.
static_assert(std::endian::native == std::endian::little);

// Zero bytes a packed buffer keeps after its last run: read() loads 8 bytes
// from the byte where a value starts, up to 7 past the run's end.
inline constexpr size_t kPadding = 8;
// Values wider than 32 bits are stored as whole 8-byte words (width 64).
inline constexpr int kWordWidth = 64;

// The width to store values up to `max` at: 0–32, or kWordWidth.
inline int widthFor(uint64_t max) {
  int width = 0;
  while (width < 64 && (max >> width) != 0) ++width;
  return width <= 32 ? width : kWordWidth;
}

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Appends value(0) … value(n - 1), each below 2^width (widthFor()), lowest
// bits first, before the padding of `out` (which it keeps).
template <typename Value>
void append(std::vector<uint8_t>& out, size_t n, int width, Value&& value) {
  if (!out.empty()) out.resize(out.size() - kPadding);
  if (width == kWordWidth) {
    for (size_t i = 0; i < n; ++i) {
      const uint64_t v = value(i);
      const auto* bytes = reinterpret_cast<const uint8_t*>(&v);
      out.insert(out.end(), bytes, bytes + sizeof v);
    }
  } else {
    uint64_t pending = 0;  // bits not written yet, lowest first
    int held = 0;
    for (size_t i = 0; i < n; ++i) {
      pending |= value(i) << held;
      held += width;
      for (; held >= 8; held -= 8, pending >>= 8) out.push_back(static_cast<uint8_t>(pending));
    }
    if (held > 0) out.push_back(static_cast<uint8_t>(pending));
  }
  out.insert(out.end(), kPadding, 0);
}

// Value `i` of the run at `p` packed at `width`.
inline uint64_t read(const uint8_t* p, size_t i, int width) {
  if (width == 0) return 0;
  if (width == kWordWidth) return load64(p + i * 8);
  const size_t bit = i * static_cast<size_t>(width);
  return (load64(p + (bit >> 3)) >> (bit & 7)) & ((uint64_t{1} << width) - 1);
}

}  // namespace aigate::library::bitpack
