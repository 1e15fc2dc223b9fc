// An asset of the library: a stored image or video and what describes it.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aigate::library {

struct Asset {
  std::string id;    // "ast_…"
  std::string type;  // "image" | "video"
  std::string file;  // storage key
  std::string mime;
  uint64_t bytes = 0;
  std::string sha256;
  std::string title;
  std::string description;
  std::string topic;
  std::vector<std::string> tags;
  std::string aspect_ratio;
  int width = 0;
  int height = 0;
  std::optional<double> duration_s;
  std::string source = "library";  // "library" | "generated"
  std::optional<std::string> provider;
  std::optional<std::string> owner_id;  // unset: in the shared library
  std::optional<std::string> prompt;
  int64_t created_at = 0;
};

// The API's Asset object; `base_url` prefixes the file URL ("http://host").
nlohmann::json assetJson(const Asset& asset, const std::string& base_url);

// The media type served for a file extension ("png" → "image/png");
// "application/octet-stream" for one we do not store.
std::string mimeForExtension(std::string_view ext);

// The public URL path of an asset's file: "/files/<sha256>.<ext>".
std::string filePath(const Asset& asset);

}  // namespace aigate::library
