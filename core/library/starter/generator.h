#pragma once

#include <cstdint>
#include <filesystem>

namespace aigate::starter {

struct GeneratorOptions {
  std::filesystem::path outDir;
  int images = 920;
  int videos = 120;
  std::uint64_t seed = 1;
  int jobs = 2;  // worker threads; never changes the output
};

struct GeneratorSummary {
  int images = 0;
  int videos = 0;
  int topics = 0;
  std::uintmax_t bytes = 0;
  double seconds = 0.0;
};

// Writes outDir/files/<topic>/{img,vid}_NNNN.{png,jpg,mp4} and outDir/manifest.jsonl,
// reporting progress on stderr. The bytes written depend only on images, videos and seed.
// Throws std::runtime_error on any failure (including a missing ffmpeg when videos > 0).
GeneratorSummary generateLibrary(const GeneratorOptions& options);

}  // namespace aigate::starter
