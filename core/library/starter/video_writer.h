#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace aigate::starter {

// Throws std::runtime_error naming the Debian package when no `ffmpeg` is on PATH.
void requireFfmpeg();

// Encodes rgb24 frames into a browser-playable MP4 (H.264, yuv420p, faststart) by piping
// them into the ffmpeg program. Width and height must be even.
class VideoWriter {
 public:
  VideoWriter(const std::filesystem::path& path, int width, int height, int fps);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // `rgb` holds exactly width * height * 3 bytes.
  void writeFrame(const std::vector<std::uint8_t>& rgb);
  // Waits for ffmpeg to finish; throws if it failed. Must be called once after the last frame.
  void finish();

 private:
  std::filesystem::path path_;
  std::size_t frameBytes_;
  std::FILE* pipe_;
};

}  // namespace aigate::starter
