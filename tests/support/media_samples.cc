#include "tests/support/media_samples.h"

namespace aigate::testing::samples {

std::string be(uint64_t v, int n) {
  std::string out;
  for (int i = n - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string le(uint64_t v, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string zeros(size_t n) { return std::string(n, '\0'); }

std::string png(uint32_t w, uint32_t h) {
  return std::string("\x89PNG\r\n\x1a\n", 8) + be(13, 4) + "IHDR" + be(w, 4) + be(h, 4) +
         "\x08\x02" + zeros(3) + zeros(4) /* CRC, not checked */;
}

std::string jpegSegment(uint8_t marker, const std::string& payload) {
  return std::string("\xff") + static_cast<char>(marker) + be(payload.size() + 2, 2) + payload;
}

std::string jpegApp0() {
  return jpegSegment(0xE0, std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14));
}

std::string jpegSof(uint8_t marker, uint16_t w, uint16_t h) {
  std::string components;
  for (char id = 1; id <= 3; ++id) components += std::string{id, '\x11', '\0'};
  return jpegSegment(marker, "\x08" + be(h, 2) + be(w, 2) + "\x03" + components);
}

std::string jpegScanStart() {
  return jpegSegment(0xDA, std::string("\x01\x01\x00\x00\x3f\x00", 6));
}

std::string jpeg(uint16_t w, uint16_t h) {
  return "\xff\xd8" + jpegApp0() + jpegSof(0xC0, w, h) + jpegScanStart() + "\x12\x34\xff\xd9";
}

std::string gif(uint16_t w, uint16_t h) {
  return "GIF89a" + le(w, 2) + le(h, 2) + std::string("\xf7\x00\x00", 3);
}

std::string riff(const std::string& fourcc, const std::string& chunk) {
  std::string body = "WEBP" + fourcc + le(chunk.size(), 4) + chunk;
  if (chunk.size() % 2) body += '\0';
  return "RIFF" + le(body.size(), 4) + body;
}

std::string webpVp8(uint16_t w, uint16_t h, int scale_bits) {
  const std::string frame = std::string("\x50\x02\x00\x9d\x01\x2a", 6) +
                            le(w | (scale_bits << 14), 2) + le(h | (scale_bits << 14), 2);
  return riff("VP8 ", frame + zeros(8));
}

std::string webpVp8l(uint32_t w, uint32_t h) {
  return riff("VP8L", "\x2f" + le((w - 1) | ((h - 1) << 14) | (1u << 28), 4) + zeros(4));
}

std::string webpVp8x(uint32_t w, uint32_t h) {
  return riff("VP8X", std::string("\x10", 1) + zeros(3) + le(w - 1, 3) + le(h - 1, 3));
}

std::string box(const std::string& type, const std::string& payload) {
  return be(8 + payload.size(), 4) + type + payload;
}

std::string box64(const std::string& type, const std::string& payload) {
  return be(1, 4) + type + be(16 + payload.size(), 8) + payload;
}

std::string ftyp() { return box("ftyp", "isom" + be(512, 4) + "isomiso2avc1mp41"); }

std::string mvhd(int version, uint32_t timescale, uint64_t duration) {
  const std::string times = version == 1 ? zeros(16) : zeros(8);
  return box("mvhd", std::string{static_cast<char>(version), 0, 0, 0} + times + be(timescale, 4) +
                         be(duration, version == 1 ? 8 : 4) + be(0x00010000, 4) + be(0x0100, 2) +
                         zeros(10) + zeros(36) + zeros(24) + be(3, 4));
}

std::string tkhd(int version, uint32_t w, uint32_t h) {
  const std::string times_ids = version == 1 ? zeros(16) + be(1, 4) + zeros(4) + be(2000, 8)
                                             : zeros(8) + be(1, 4) + zeros(4) + be(2000, 4);
  return box("tkhd", std::string{static_cast<char>(version), 0, 0, 3} + times_ids + zeros(8) +
                         zeros(8) + zeros(36) + be(uint64_t{w} << 16, 4) +
                         be(uint64_t{h} << 16, 4));
}

std::string hdlr(const std::string& handler) {
  return box("hdlr", zeros(4) + zeros(4) + handler + zeros(12) + std::string("name\0", 5));
}

std::string trak(int version, uint32_t w, uint32_t h, const std::string& handler) {
  return box("trak", tkhd(version, w, h) + box("mdia", box("mdhd", zeros(24)) + hdlr(handler)));
}

// A 2.5 s 640x360 movie whose audio track comes first.
std::string moov(int version) {
  return box("moov", mvhd(version, 1000, 2500) + trak(version, 0, 0, "soun") +
                         trak(version, 640, 360, "vide"));
}

std::string mp4(int version) { return ftyp() + moov(version) + box("mdat", zeros(64)); }

}  // namespace aigate::testing::samples
