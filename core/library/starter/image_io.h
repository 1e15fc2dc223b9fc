#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace aigate::starter {

// Both writers take row-major rgb24 pixels (width * height * 3 bytes), produce the same
// bytes for the same pixels, and throw std::runtime_error if the file cannot be written.
void writePng(const std::filesystem::path& path, int width, int height,
              const std::vector<std::uint8_t>& rgb);
void writeJpeg(const std::filesystem::path& path, int width, int height,
               const std::vector<std::uint8_t>& rgb, int quality);

}  // namespace aigate::starter
