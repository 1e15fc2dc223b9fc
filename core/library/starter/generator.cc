#include "generator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "canvas.h"
#include "image_io.h"
#include "manifest.h"
#include "rng.h"
#include "scene.h"
#include "video_writer.h"

namespace aigate::starter {

namespace {

struct AspectSpec {
  const char* label;
  int imageWidth;
  int imageHeight;
  int videoWidth;
  int videoHeight;
};

// Exact ratios; images keep the long edge <= 840, videos <= 640 with even sides.
constexpr std::array<AspectSpec, 9> kAspects = {{
    {"1:1", 512, 512, 432, 432},
    {"16:9", 768, 432, 576, 324},
    {"9:16", 432, 768, 324, 576},
    {"4:5", 512, 640, 432, 540},
    {"3:4", 480, 640, 408, 544},
    {"4:3", 640, 480, 544, 408},
    {"2:3", 448, 672, 360, 540},
    {"3:2", 672, 448, 540, 360},
    {"21:9", 840, 360, 588, 252},
}};

constexpr int kFps = 24;
constexpr int kJpegQuality = 88;
constexpr std::array<double, 4> kDurations = {2.0, 2.5, 3.0, 3.5};

struct Job {
  bool video;
  std::size_t topic;
  const AspectSpec* aspect;
  bool jpeg;
  std::string file;
  std::uint64_t seed;
};

std::vector<Job> planJobs(const GeneratorOptions& options) {
  const std::size_t topicCount = allTopics().size();
  std::vector<Job> jobs;
  // Videos first: they take longest, so workers finish close together.
  for (const bool video : {true, false}) {
    const int count = video ? options.videos : options.images;
    for (int i = 0; i < count; ++i) {
      const auto index = static_cast<std::size_t>(i);
      const std::size_t round = index / topicCount;
      Job job{};
      job.video = video;
      job.topic = index % topicCount;
      job.aspect = &kAspects[(index + round) % kAspects.size()];
      job.jpeg = !video && round % 4 == 3;
      char name[32];
      std::snprintf(name, sizeof name, "%s_%04zu.%s", video ? "vid" : "img", round + 1,
                    video ? "mp4" : (job.jpeg ? "jpg" : "png"));
      job.file = std::string("files/") + allTopics()[job.topic].name + "/" + name;
      job.seed = mixBits(options.seed) ^ mixBits((video ? 1ULL << 40 : 0ULL) + index);
      jobs.push_back(std::move(job));
    }
  }
  return jobs;
}

std::vector<std::string> uniqueTags(const std::vector<std::string>& tags) {
  std::vector<std::string> out;
  for (const std::string& tag : tags) {
    if (std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
  }
  return out;
}

ManifestEntry runJob(const Job& job, const std::filesystem::path& outDir) {
  Rng rng(job.seed);
  const AspectSpec& aspect = *job.aspect;
  const int width = job.video ? aspect.videoWidth : aspect.imageWidth;
  const int height = job.video ? aspect.videoHeight : aspect.imageHeight;
  const Scene scene =
      allTopics()[job.topic].make(rng, static_cast<double>(width) / static_cast<double>(height));
  const std::filesystem::path path = outDir / job.file;

  ManifestEntry entry;
  entry.file = job.file;
  entry.topic = allTopics()[job.topic].name;
  entry.aspectRatio = aspect.label;
  entry.width = width;
  entry.height = height;
  if (!job.video) {
    Canvas canvas(width, height);
    scene.paint(canvas, 1.0);
    if (job.jpeg) {
      writeJpeg(path, width, height, canvas.rgb24(), kJpegQuality);
    } else {
      writePng(path, width, height, canvas.rgb24());
    }
    entry.type = "image";
    entry.mime = job.jpeg ? "image/jpeg" : "image/png";
    entry.title = scene.title;
    entry.description = scene.description;
    entry.tags = uniqueTags(scene.tags);
    return entry;
  }

  const double duration = rng.pick(kDurations);
  const int frames = static_cast<int>(std::lround(duration * kFps));
  VideoWriter writer(path, width, height, kFps);
  Canvas canvas(width, height);
  for (int frame = 0; frame < frames; ++frame) {
    canvas.clear();
    scene.paint(canvas, static_cast<double>(frame) / (frames - 1));
    writer.writeFrame(canvas.rgb24());
  }
  writer.finish();
  char seconds[16];
  std::snprintf(seconds, sizeof seconds, "%.1f", duration);
  entry.type = "video";
  entry.mime = "video/mp4";
  entry.title = scene.title + " (animated: " + scene.motionPhrase + ")";
  entry.description = scene.description + " Animation: " + scene.motionSentence + " " + seconds +
                      " seconds at 24 fps.";
  std::vector<std::string> tags = scene.tags;
  tags.insert(tags.end(), scene.motionTags.begin(), scene.motionTags.end());
  tags.push_back("animation");
  entry.tags = uniqueTags(tags);
  entry.durationSeconds = duration;
  return entry;
}

}  // namespace

GeneratorSummary generateLibrary(const GeneratorOptions& options) {
  if (options.images < 0 || options.videos < 0) throw std::runtime_error("counts must be >= 0");
  if (options.videos > 0) requireFfmpeg();
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };

  std::filesystem::create_directories(options.outDir / "files");
  for (const Topic& topic : allTopics()) {
    std::filesystem::create_directories(options.outDir / "files" / topic.name);
  }

  const std::vector<Job> jobs = planJobs(options);
  std::vector<ManifestEntry> entries(jobs.size());
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::size_t completed = 0;
  std::exception_ptr error;

  const auto work = [&] {
    for (std::size_t i = next++; i < jobs.size() && !failed; i = next++) {
      try {
        entries[i] = runJob(jobs[i], options.outDir);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!error) error = std::current_exception();
        failed = true;
        return;
      }
      const std::lock_guard lock(mutex);
      if (++completed % 100 == 0 || completed == jobs.size()) {
        std::fprintf(stderr, "aigate-starter-gen: %zu/%zu files (%.1f s)\n", completed, jobs.size(),
                     elapsed());
      }
    }
  };
  std::vector<std::thread> workers;
  for (int i = 1; i < std::max(1, options.jobs); ++i) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  if (error) std::rethrow_exception(error);

  std::ofstream manifest(options.outDir / "manifest.jsonl", std::ios::binary | std::ios::trunc);
  for (const ManifestEntry& entry : entries) manifest << toJsonLine(entry) << '\n';
  manifest.close();
  if (!manifest) throw std::runtime_error("cannot write manifest.jsonl");

  GeneratorSummary summary;
  summary.images = options.images;
  summary.videos = options.videos;
  std::vector<std::string> topics;
  for (const Job& job : jobs) {
    summary.bytes += std::filesystem::file_size(options.outDir / job.file);
    const std::string name = allTopics()[job.topic].name;
    if (std::find(topics.begin(), topics.end(), name) == topics.end()) topics.push_back(name);
  }
  summary.topics = static_cast<int>(topics.size());
  summary.seconds = elapsed();
  return summary;
}

}  // namespace aigate::starter
