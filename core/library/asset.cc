#include "core/library/asset.h"

#include "core/common/clock.h"

namespace aigate::library {

std::string mimeForExtension(std::string_view ext) {
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "mp4") return "video/mp4";
  return "application/octet-stream";
}

std::string filePath(const Asset& asset) {
  const auto slash = asset.file.rfind('/');
  return "/files/" + (slash == std::string::npos ? asset.file : asset.file.substr(slash + 1));
}

nlohmann::json assetJson(const Asset& a, const std::string& base_url) {
  auto optional = [](const auto& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"id", a.id},
          {"type", a.type},
          {"url", base_url + filePath(a)},
          {"mime", a.mime},
          {"title", a.title},
          {"description", a.description},
          {"topic", a.topic},
          {"tags", a.tags},
          {"aspect_ratio", a.aspect_ratio},
          {"width", a.width},
          {"height", a.height},
          {"duration_s", optional(a.duration_s)},
          {"source", a.source},
          {"provider", optional(a.provider)},
          {"bytes", a.bytes},
          {"created_at", isoTime(a.created_at)}};
}

}  // namespace aigate::library
