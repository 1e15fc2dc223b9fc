#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>

#include "generator.h"

namespace {

constexpr const char* kUsage =
    "usage: aigate-starter-gen OUT_DIR [--images N] [--videos M] [--seed S] [--jobs J]\n"
    "  Generates the starter media library (drawn images, animated MP4s and\n"
    "  OUT_DIR/manifest.jsonl). Defaults: 920 images, 120 videos, seed 1,\n"
    "  jobs = twice the CPU cores. The same counts and seed give identical files\n"
    "  whatever the number of jobs.\n";

[[noreturn]] void usageError(const std::string& message) {
  std::fprintf(stderr, "aigate-starter-gen: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

unsigned long long parseNumber(std::string_view flag, const char* text) {
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (text[0] == '\0' || text[0] == '-' || *end != '\0') {
    usageError(std::string(flag) + " needs a non-negative integer, got '" + text + "'");
  }
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  aigate::starter::GeneratorOptions options;
  // Twice the cores: workers often wait on an ffmpeg child starting up or draining a pipe.
  options.jobs = static_cast<int>(std::clamp(2U * std::thread::hardware_concurrency(), 2U, 16U));
  bool haveOutDir = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--images" || arg == "--videos" || arg == "--seed" || arg == "--jobs") {
      if (i + 1 >= argc) usageError(std::string(arg) + " needs a value");
      const unsigned long long value = parseNumber(arg, argv[++i]);
      if (arg == "--seed") {
        options.seed = value;
      } else if (value > 100000) {
        usageError(std::string(arg) + " is too large");
      } else if (arg == "--images") {
        options.images = static_cast<int>(value);
      } else if (arg == "--videos") {
        options.videos = static_cast<int>(value);
      } else {
        options.jobs = std::max(1, static_cast<int>(value));
      }
    } else if (!arg.empty() && arg[0] == '-') {
      usageError("unknown option " + std::string(arg));
    } else if (haveOutDir) {
      usageError("more than one OUT_DIR given");
    } else {
      options.outDir = argv[i];
      haveOutDir = true;
    }
  }
  if (!haveOutDir) usageError("OUT_DIR is required");

  // A dying ffmpeg must surface as a write error, not kill the generator.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const auto summary = aigate::starter::generateLibrary(options);
    std::fprintf(stderr,
                 "aigate-starter-gen: wrote %d images and %d videos in %d topics "
                 "(%.1f MB) plus manifest.jsonl to %s in %.1f s\n",
                 summary.images, summary.videos, summary.topics,
                 static_cast<double>(summary.bytes) / 1e6, options.outDir.c_str(), summary.seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aigate-starter-gen: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
