#pragma once

#include <optional>
#include <string>
#include <vector>

namespace aigate::starter {

// One line of manifest.jsonl, describing one generated file.
struct ManifestEntry {
  std::string file;  // relative to the output directory, '/'-separated
  std::string type;  // "image" or "video"
  std::string mime;
  std::string title;
  std::string description;
  std::string topic;
  std::vector<std::string> tags;
  std::string aspectRatio;  // e.g. "16:9"
  int width = 0;
  int height = 0;
  std::optional<double> durationSeconds;  // videos only
};

// A single-line JSON object with the keys file, type, mime, title, description, topic, tags,
// aspect_ratio, width, height, duration_s in that order; duration_s is null for images.
std::string toJsonLine(const ManifestEntry& entry);

}  // namespace aigate::starter
