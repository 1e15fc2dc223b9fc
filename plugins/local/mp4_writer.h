// H.264 video in an MP4 file built in memory, encoded in-process by libx264
// through libavcodec and muxed by libavformat with 'moov' before 'mdat'
// (+faststart), so browsers can start playing before the whole file arrives.
// No temporary file, no child process; the encoder runs on the calling thread.
#pragma once

#include <memory>
#include <string>

#include "canvas.h"

namespace aigate::plugins::local {

class Mp4Writer {
 public:
  // Starts an encoder for frames of width × height (both even) at `fps`
  // frames per second. Throws std::runtime_error if libavcodec or
  // libavformat refuse.
  Mp4Writer(int width, int height, int fps);
  ~Mp4Writer();
  Mp4Writer(const Mp4Writer&) = delete;
  Mp4Writer& operator=(const Mp4Writer&) = delete;

  // Encodes the next frame; `frame` has the writer's size. Throws std::runtime_error.
  void addFrame(const Canvas& frame);
  // Flushes the encoder and returns the finished file. Call once, last.
  // Throws std::runtime_error.
  std::string finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace aigate::plugins::local
