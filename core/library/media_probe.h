// Real dimensions (and, for video, duration) of a media file, read from its
// header bytes without any codec library; and the API aspect ratio nearest to
// a size.
//
// Every reader is bounds-checked: truncated or hostile input yields nullopt
// and a reason, never an out-of-bounds read or an endless loop.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace aigate::library {

struct MediaInfo {
  std::string type;  // "image" or "video"
  std::string mime;  // "image/png", "image/jpeg", "image/webp", "image/gif", "video/mp4"
  std::string ext;   // "png", "jpg", "webp", "gif", "mp4"
  int width = 0;     // as stored: EXIF orientation and track matrices are ignored
  int height = 0;
  std::optional<double> duration_s;  // videos only, seconds; absent when the file has none
};

// Identifies the format by its magic bytes (not a file name) and reads the
// dimensions. On nullopt, `problem` (when not null) gets a human-readable
// reason: unknown format, truncated header, zero size...
// MP4/MOV (ISO-BMFF) needs the whole 'moov' box inside `bytes`.
std::optional<MediaInfo> probeMedia(std::string_view bytes, std::string* problem);

// Probes the file at `path`, reading only the bytes the format needs: for
// MP4/MOV the top-level boxes are walked by seeking, so a large 'mdat' is
// never read, whether 'moov' comes before or after it.
std::optional<MediaInfo> probeFile(const std::string& path, std::string* problem);

// The nearest of aspectRatios() to width/height, compared in log space (ties
// go to the earlier entry); "1:1" when either side is not positive.
std::string bucketAspectRatio(int width, int height);

// The API's aspect ratios: "1:1","9:16","16:9","4:5","3:4","4:3","2:3","3:2","21:9".
const std::array<std::string_view, 9>& aspectRatios();

}  // namespace aigate::library
