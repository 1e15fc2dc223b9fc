#include "renderer.h"

#include "canvas.h"
#include "mp4_writer.h"
#include "png_writer.h"

namespace aigate::plugins::local {

Rendering renderImage(const Scene& scene, FrameSize size) {
  Canvas canvas(size.width, size.height);
  scene.draw(canvas, 0.0f);
  return {encodePng(canvas), "image/png", size.width, size.height, std::nullopt};
}

Rendering renderVideo(const Scene& scene, FrameSize size, int fps, int frames) {
  Mp4Writer writer(size.width, size.height, fps);
  Canvas canvas(size.width, size.height);
  for (int i = 0; i < frames; ++i) {
    const float phase = frames > 1 ? static_cast<float>(i) / static_cast<float>(frames - 1) : 0.0f;
    scene.draw(canvas, phase);
    writer.addFrame(canvas);
  }
  return {writer.finish(), "video/mp4", size.width, size.height, static_cast<double>(frames) / fps};
}

}  // namespace aigate::plugins::local
