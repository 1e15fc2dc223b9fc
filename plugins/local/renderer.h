// Turns a scene into a finished file: a PNG still or an MP4 clip.
#pragma once

#include <optional>
#include <string>

#include "aspect_ratio.h"
#include "scene.h"

namespace aigate::plugins::local {

struct Rendering {
  std::string bytes;  // the whole file
  std::string mime;   // "image/png" or "video/mp4"
  int width = 0;
  int height = 0;
  std::optional<double> duration_s;  // videos only
};

// The scene at phase 0 as a PNG. Throws std::runtime_error if encoding fails.
Rendering renderImage(const Scene& scene, FrameSize size);

// `frames` frames of the scene animated from phase 0 to 1, played at `fps`,
// as an H.264 MP4 ('moov' first). `size` is even. Throws std::runtime_error if
// encoding fails.
Rendering renderVideo(const Scene& scene, FrameSize size, int fps, int frames);

}  // namespace aigate::plugins::local
