#include "video_writer.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aigate::starter {

namespace {

std::string shellQuote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

void requireFfmpeg() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "";
  while (!dirs.empty()) {
    const std::size_t colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/ffmpeg").c_str(), X_OK) == 0) return;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  throw std::runtime_error(
      "the ffmpeg program was not found on PATH; install the Debian package 'ffmpeg' "
      "(apt-get install ffmpeg)");
}

VideoWriter::VideoWriter(const std::filesystem::path& path, int width, int height, int fps)
    : path_(path), frameBytes_(static_cast<std::size_t>(width) * height * 3), pipe_(nullptr) {
  const std::string command =
      "ffmpeg -hide_banner -loglevel error -y -f rawvideo -pix_fmt rgb24 -s " +
      std::to_string(width) + "x" + std::to_string(height) + " -r " + std::to_string(fps) +
      " -i - -c:v libx264 -preset veryfast -threads 1 -pix_fmt yuv420p -movflags +faststart " +
      shellQuote(path.string());
  // "e": close-on-exec, so encoders started concurrently do not inherit each other's pipes.
  pipe_ = ::popen(command.c_str(), "we");
  if (pipe_ == nullptr) throw std::runtime_error("cannot start ffmpeg for " + path.string());
}

VideoWriter::~VideoWriter() {
  if (pipe_ != nullptr) ::pclose(pipe_);
}

void VideoWriter::writeFrame(const std::vector<std::uint8_t>& rgb) {
  if (rgb.size() != frameBytes_ || std::fwrite(rgb.data(), 1, rgb.size(), pipe_) != rgb.size()) {
    throw std::runtime_error("cannot send a frame to ffmpeg for " + path_.string());
  }
}

void VideoWriter::finish() {
  const int status = ::pclose(pipe_);
  pipe_ = nullptr;
  if (status != 0) throw std::runtime_error("ffmpeg failed to encode " + path_.string());
}

}  // namespace aigate::starter
