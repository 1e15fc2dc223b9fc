#include "manifest.h"

#include <cstdio>

namespace aigate::starter {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string toJsonLine(const ManifestEntry& entry) {
  std::string tags = "[";
  for (std::size_t i = 0; i < entry.tags.size(); ++i) {
    if (i > 0) tags += ",";
    tags += quoted(entry.tags[i]);
  }
  tags += "]";
  std::string duration = "null";
  if (entry.durationSeconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", *entry.durationSeconds);
    duration = text;
  }
  return "{\"file\":" + quoted(entry.file) + ",\"type\":" + quoted(entry.type) +
         ",\"mime\":" + quoted(entry.mime) + ",\"title\":" + quoted(entry.title) +
         ",\"description\":" + quoted(entry.description) + ",\"topic\":" + quoted(entry.topic) +
         ",\"tags\":" + tags + ",\"aspect_ratio\":" + quoted(entry.aspectRatio) +
         ",\"width\":" + std::to_string(entry.width) +
         ",\"height\":" + std::to_string(entry.height) + ",\"duration_s\":" + duration + "}";
}

}  // namespace aigate::starter
