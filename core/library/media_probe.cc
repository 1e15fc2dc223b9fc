#include "core/library/media_probe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <utility>

namespace aigate::library {
namespace {

// A JPEG's SOF must start within this many bytes; bounds the marker walk.
constexpr uint64_t kMaxJpegScanBytes = uint64_t{16} << 20;
// How much of a file one refill of FileSource's window reads.
constexpr uint64_t kFileWindowBytes = uint64_t{64} << 10;

struct Kind {
  std::string_view type;
  std::string_view mime;
  std::string_view ext;
};
constexpr Kind kPng{"image", "image/png", "png"};
constexpr Kind kJpeg{"image", "image/jpeg", "jpg"};
constexpr Kind kGif{"image", "image/gif", "gif"};
constexpr Kind kWebp{"image", "image/webp", "webp"};
constexpr Kind kMp4{"video", "video/mp4", "mp4"};

// Random access to the bytes being probed.
class Source {
 public:
  virtual ~Source() = default;
  virtual uint64_t size() const = 0;
  // The `n` bytes at `offset`, valid until the next read; nullopt when they are not all there.
  virtual std::optional<std::string_view> read(uint64_t offset, size_t n) = 0;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  std::optional<std::string_view> read(uint64_t offset, size_t n) override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) return std::nullopt;
    return bytes_.substr(offset, n);
  }

 private:
  std::string_view bytes_;
};

// Reads a file through a small window, so walking headers costs few system calls.
class FileSource final : public Source {
 public:
  // Takes ownership of `fd`.
  FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override { ::close(fd_); }

  uint64_t size() const override { return size_; }
  std::optional<std::string_view> read(uint64_t offset, size_t n) override {
    if (offset > size_ || n > size_ - offset) return std::nullopt;
    if (n == 0) return std::string_view();
    if (offset < window_start_ || offset - window_start_ + n > window_.size()) {
      window_.resize(std::min(std::max<uint64_t>(n, kFileWindowBytes), size_ - offset));
      if (!fill(offset)) {
        window_.clear();
        return std::nullopt;
      }
      window_start_ = offset;
    }
    return std::string_view(window_).substr(offset - window_start_, n);
  }

 private:
  bool fill(uint64_t offset) {
    size_t done = 0;
    while (done < window_.size()) {
      const ssize_t got = ::pread(fd_, window_.data() + done, window_.size() - done,
                                  static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      done += static_cast<size_t>(got);
    }
    return true;
  }

  int fd_;
  uint64_t size_;
  uint64_t window_start_ = 0;
  std::string window_;
};

std::nullopt_t fail(std::string* problem, std::string reason) {
  if (problem) *problem = std::move(reason);
  return std::nullopt;
}

// What walkBoxes() does after visiting a box.
enum class Walk { kNext, kStop, kFail };

Walk failWalk(std::string* problem, std::string reason) {
  fail(problem, std::move(reason));
  return Walk::kFail;
}

uint8_t byteAt(std::string_view s, size_t pos) { return static_cast<uint8_t>(s[pos]); }

// `n` (at most 8) bytes at `pos`, which the caller has checked are present.
uint64_t bigEndian(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | byteAt(s, pos + i);
  return v;
}

uint64_t littleEndian(std::string_view s, size_t pos, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i > 0; --i) v = (v << 8) | byteAt(s, pos + i - 1);
  return v;
}

std::optional<MediaInfo> makeInfo(const Kind& kind, uint64_t width, uint64_t height,
                                  std::string* problem) {
  const std::string name(kind.ext);
  if (width == 0 || height == 0) return fail(problem, name + " has a zero width or height");
  if (width > INT_MAX || height > INT_MAX) return fail(problem, name + " size is out of range");
  MediaInfo info;
  info.type = kind.type;
  info.mime = kind.mime;
  info.ext = kind.ext;
  info.width = static_cast<int>(width);
  info.height = static_cast<int>(height);
  return info;
}

std::optional<MediaInfo> probePng(Source& src, std::string* problem) {
  const auto h = src.read(0, 24);  // signature, IHDR length and type, width, height
  if (!h) return fail(problem, "PNG header is truncated");
  if (h->substr(12, 4) != "IHDR") return fail(problem, "PNG does not start with an IHDR chunk");
  return makeInfo(kPng, bigEndian(*h, 16, 4), bigEndian(*h, 20, 4), problem);
}

std::optional<MediaInfo> probeGif(Source& src, std::string* problem) {
  const auto h = src.read(0, 10);  // signature, logical screen width, height
  if (!h) return fail(problem, "GIF header is truncated");
  return makeInfo(kGif, littleEndian(*h, 6, 2), littleEndian(*h, 8, 2), problem);
}

std::optional<MediaInfo> probeWebp(Source& src, std::string* problem) {
  const auto h = src.read(12, 8);  // first chunk's type and size
  if (!h) return fail(problem, "WebP header is truncated");
  const std::string_view chunk = h->substr(0, 4);
  if (chunk == "VP8 ") {
    const auto d = src.read(20, 10);  // frame tag, start code, 14-bit width and height
    if (!d) return fail(problem, "WebP VP8 frame header is truncated");
    if (byteAt(*d, 0) & 1) return fail(problem, "WebP VP8 frame is not a key frame");
    if (d->substr(3, 3) != "\x9d\x01\x2a") return fail(problem, "WebP VP8 start code is missing");
    return makeInfo(kWebp, littleEndian(*d, 6, 2) & 0x3fff, littleEndian(*d, 8, 2) & 0x3fff,
                    problem);
  }
  if (chunk == "VP8L") {
    const auto d = src.read(20, 5);  // signature, then 14-bit width-1 and height-1
    if (!d) return fail(problem, "WebP VP8L header is truncated");
    if (byteAt(*d, 0) != 0x2f) return fail(problem, "WebP VP8L signature is missing");
    const uint64_t bits = littleEndian(*d, 1, 4);
    return makeInfo(kWebp, (bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1, problem);
  }
  if (chunk == "VP8X") {
    const auto d = src.read(20, 10);  // flags, reserved, 24-bit canvas width-1 and height-1
    if (!d) return fail(problem, "WebP VP8X header is truncated");
    return makeInfo(kWebp, littleEndian(*d, 4, 3) + 1, littleEndian(*d, 7, 3) + 1, problem);
  }
  return fail(problem, "WebP starts with an unknown chunk");
}

bool isSof(uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

std::optional<MediaInfo> probeJpeg(Source& src, std::string* problem) {
  const uint64_t limit = std::min(src.size(), kMaxJpegScanBytes);
  const std::string truncated = "JPEG ends before its SOF marker";
  uint64_t pos = 2;  // after SOI
  for (;;) {
    const auto lead = pos < limit ? src.read(pos, 1) : std::nullopt;
    if (!lead) return fail(problem, truncated);
    if (byteAt(*lead, 0) != 0xFF)
      return fail(problem, "JPEG marker expected at offset " + std::to_string(pos));
    uint8_t marker = 0xFF;
    while (marker == 0xFF) {  // fill bytes may precede any marker
      ++pos;
      const auto m = pos < limit ? src.read(pos, 1) : std::nullopt;
      if (!m) return fail(problem, truncated);
      marker = byteAt(*m, 0);
    }
    ++pos;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // TEM, RSTn
    if (marker == 0xDA) return fail(problem, "JPEG has no SOF marker before its scan");
    if (marker == 0x00 || marker == 0xD8 || marker == 0xD9)
      return fail(problem, "JPEG has an unexpected marker before SOF");
    const auto len = src.read(pos, 2);
    if (!len) return fail(problem, truncated);
    const uint64_t length = bigEndian(*len, 0, 2);  // counts itself
    if (length < 2) return fail(problem, "JPEG segment has an invalid length");
    if (isSof(marker)) {
      const auto sof = length >= 8 ? src.read(pos + 2, 5) : std::nullopt;  // precision, h, w
      if (!sof) return fail(problem, "JPEG SOF segment is truncated");
      return makeInfo(kJpeg, bigEndian(*sof, 3, 2), bigEndian(*sof, 1, 2), problem);
    }
    pos += length;
  }
}

// An ISO-BMFF box: its type and the absolute range of its payload.
struct Box {
  std::string type;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// The box at `pos` inside a container ending at `limit` (pos + 8 <= limit);
// size 0 extends it to `limit`, size 1 means a 64-bit size follows the type.
std::optional<Box> readBox(Source& src, uint64_t pos, uint64_t limit, std::string* problem) {
  const std::string where = " at offset " + std::to_string(pos);
  const auto h = src.read(pos, 8);
  if (!h) return fail(problem, "MP4 box header" + where + " is truncated");
  Box box{std::string(h->substr(4, 4)), pos + 8, 0};
  uint64_t size = bigEndian(*h, 0, 4);
  if (size == 1) {
    const auto large = limit - pos >= 16 ? src.read(pos + 8, 8) : std::nullopt;
    if (!large) return fail(problem, "MP4 64-bit box size" + where + " is truncated");
    size = bigEndian(*large, 0, 8);
    box.begin = pos + 16;
  } else if (size == 0) {
    size = limit - pos;
  }
  if (size < box.begin - pos)
    return fail(problem, "MP4 box '" + box.type + "'" + where + " is smaller than its header");
  if (size > limit - pos)
    return fail(problem, "MP4 box '" + box.type + "'" + where + " runs past its container");
  box.end = pos + size;
  return box;
}

// Calls visit(box) for each box in [begin, end) until it returns kStop or
// kFail; false when a box is malformed or visit failed (`problem` is set).
// Fewer than 8 trailing bytes are padding, not a box.
template <typename Visit>
bool walkBoxes(Source& src, uint64_t begin, uint64_t end, std::string* problem, Visit visit) {
  for (uint64_t pos = begin; end - pos >= 8;) {
    const auto box = readBox(src, pos, end, problem);
    if (!box) return false;
    const Walk next = visit(*box);
    if (next == Walk::kFail) return false;
    if (next == Walk::kStop) return true;
    pos = box->end;
  }
  return true;
}

// `n` bytes at `offset` into the payload of `box`; nullopt past its end.
std::optional<std::string_view> readIn(Source& src, const Box& box, uint64_t offset, size_t n) {
  if (box.end - box.begin < offset || box.end - box.begin - offset < n) return std::nullopt;
  return src.read(box.begin + offset, n);
}

// Sets `duration` from mvhd, to nullopt when the movie declares none; false when mvhd is truncated.
bool readDuration(Source& src, const Box& mvhd, std::optional<double>* duration) {
  const auto version = readIn(src, mvhd, 0, 1);
  if (!version) return false;
  const bool v1 = byteAt(*version, 0) == 1;
  // After version/flags and the creation and modification times: timescale, duration.
  const auto d = readIn(src, mvhd, v1 ? 20 : 12, v1 ? 12 : 8);
  if (!d) return false;
  const uint64_t timescale = bigEndian(*d, 0, 4);
  const uint64_t ticks = bigEndian(*d, 4, v1 ? 8 : 4);
  const uint64_t unknown = v1 ? UINT64_MAX : UINT32_MAX;
  *duration = std::nullopt;
  if (timescale != 0 && ticks != unknown)
    *duration = static_cast<double>(ticks) / static_cast<double>(timescale);
  return true;
}

struct Track {
  uint64_t width = 0;
  uint64_t height = 0;
  bool video = false;
};

std::optional<Track> readTrack(Source& src, const Box& trak, std::string* problem) {
  Track track;
  const auto visitMdia = [&](const Box& box) {
    if (box.type != "hdlr") return Walk::kNext;
    const auto handler = readIn(src, box, 8, 4);  // after version/flags and pre_defined
    if (!handler) return failWalk(problem, "MP4 hdlr box is truncated");
    track.video = *handler == "vide";
    return Walk::kStop;
  };
  const auto visitTrak = [&](const Box& box) {
    if (box.type == "mdia")
      return walkBoxes(src, box.begin, box.end, problem, visitMdia) ? Walk::kNext : Walk::kFail;
    if (box.type != "tkhd") return Walk::kNext;
    const auto version = readIn(src, box, 0, 1);
    // Width and height, 16.16 fixed point, follow the times, ids, volume and matrix.
    const auto size =
        version ? readIn(src, box, byteAt(*version, 0) == 1 ? 88 : 76, 8) : std::nullopt;
    if (!size) return failWalk(problem, "MP4 tkhd box is truncated");
    track.width = bigEndian(*size, 0, 4) >> 16;
    track.height = bigEndian(*size, 4, 4) >> 16;
    return Walk::kNext;
  };
  if (!walkBoxes(src, trak.begin, trak.end, problem, visitTrak)) return std::nullopt;
  return track;
}

// Duration from mvhd; size from the first video track with one, else the first track with one.
std::optional<MediaInfo> probeMoov(Source& src, const Box& moov, std::string* problem) {
  std::optional<double> duration;
  std::optional<Track> chosen;
  const bool ok = walkBoxes(src, moov.begin, moov.end, problem, [&](const Box& box) {
    if (box.type == "mvhd") {
      if (!readDuration(src, box, &duration)) return failWalk(problem, "MP4 mvhd box is truncated");
    } else if (box.type == "trak") {
      const auto track = readTrack(src, box, problem);
      if (!track) return Walk::kFail;
      const bool sized = track->width > 0 && track->height > 0;
      if (sized && (!chosen || (track->video && !chosen->video))) chosen = track;
    }
    return Walk::kNext;
  });
  if (!ok) return std::nullopt;
  if (!chosen) return fail(problem, "MP4 has no track with a width and height");
  auto info = makeInfo(kMp4, chosen->width, chosen->height, problem);
  if (info) info->duration_s = duration;
  return info;
}

std::optional<MediaInfo> probeIsoBmff(Source& src, std::string* problem) {
  std::optional<MediaInfo> info;
  bool found = false;
  const bool ok = walkBoxes(src, 0, src.size(), problem, [&](const Box& box) {
    if (box.type != "moov") return Walk::kNext;
    found = true;
    info = probeMoov(src, box, problem);
    return info ? Walk::kStop : Walk::kFail;
  });
  if (!ok) return std::nullopt;
  if (!found) return fail(problem, "MP4 has no moov box");
  return info;
}

bool isTopLevelBox(std::string_view type) {
  return type == "ftyp" || type == "moov" || type == "mdat" || type == "free" || type == "skip" ||
         type == "wide";
}

std::optional<MediaInfo> probeSource(Source& src, std::string* problem) {
  if (src.size() == 0) return fail(problem, "the file is empty");
  const auto head = src.read(0, std::min<uint64_t>(src.size(), 12));
  if (!head) return fail(problem, "cannot read the file header");
  const std::string_view h = *head;
  if (h.substr(0, 8) == "\x89PNG\r\n\x1a\n") return probePng(src, problem);
  if (h.substr(0, 3) == "\xff\xd8\xff") return probeJpeg(src, problem);
  if (h.substr(0, 6) == "GIF87a" || h.substr(0, 6) == "GIF89a") return probeGif(src, problem);
  if (h.size() >= 12 && h.substr(0, 4) == "RIFF" && h.substr(8, 4) == "WEBP")
    return probeWebp(src, problem);
  if (h.size() >= 8 && isTopLevelBox(h.substr(4, 4))) return probeIsoBmff(src, problem);
  return fail(problem, "unrecognised media format (not PNG, JPEG, GIF, WebP or MP4)");
}

struct Ratio {
  std::string_view name;
  double width;
  double height;
};
constexpr std::array<Ratio, 9> kRatios{{{"1:1", 1, 1},
                                        {"9:16", 9, 16},
                                        {"16:9", 16, 9},
                                        {"4:5", 4, 5},
                                        {"3:4", 3, 4},
                                        {"4:3", 4, 3},
                                        {"2:3", 2, 3},
                                        {"3:2", 3, 2},
                                        {"21:9", 21, 9}}};

}  // namespace

std::optional<MediaInfo> probeMedia(std::string_view bytes, std::string* problem) {
  MemorySource src(bytes);
  return probeSource(src, problem);
}

std::optional<MediaInfo> probeFile(const std::string& path, std::string* problem) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(problem, "cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(problem, path + " is not a regular file");
  }
  FileSource src(fd, static_cast<uint64_t>(st.st_size));
  return probeSource(src, problem);
}

std::string bucketAspectRatio(int width, int height) {
  if (width <= 0 || height <= 0) return "1:1";
  const double target = std::log(static_cast<double>(width) / height);
  const Ratio* best = &kRatios[0];
  double bestDistance = INFINITY;
  for (const Ratio& r : kRatios) {
    const double distance = std::fabs(target - std::log(r.width / r.height));
    if (distance < bestDistance) {
      best = &r;
      bestDistance = distance;
    }
  }
  return std::string(best->name);
}

const std::array<std::string_view, 9>& aspectRatios() {
  static const std::array<std::string_view, 9> names = [] {
    std::array<std::string_view, 9> out;
    for (size_t i = 0; i < kRatios.size(); ++i) out[i] = kRatios[i].name;
    return out;
  }();
  return names;
}

}  // namespace aigate::library
