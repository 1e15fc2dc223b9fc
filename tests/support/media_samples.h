// Hand-built media headers for tests: the smallest byte strings that are
// valid PNG, JPEG, GIF, WebP and MP4 headers, with chosen sizes.
#pragma once

#include <cstdint>
#include <string>

namespace aigate::testing::samples {

std::string be(uint64_t v, int n);
std::string le(uint64_t v, int n);
std::string zeros(size_t n);
std::string png(uint32_t w, uint32_t h);
std::string jpegSegment(uint8_t marker, const std::string& payload);
std::string jpegApp0();
std::string jpegSof(uint8_t marker, uint16_t w, uint16_t h);
std::string jpegScanStart();
std::string jpeg(uint16_t w, uint16_t h);
std::string gif(uint16_t w, uint16_t h);
std::string riff(const std::string& fourcc, const std::string& chunk);
std::string webpVp8(uint16_t w, uint16_t h, int scale_bits);
std::string webpVp8l(uint32_t w, uint32_t h);
std::string webpVp8x(uint32_t w, uint32_t h);
std::string box(const std::string& type, const std::string& payload);
std::string box64(const std::string& type, const std::string& payload);
std::string ftyp();
std::string mvhd(int version, uint32_t timescale, uint64_t duration);
std::string tkhd(int version, uint32_t w, uint32_t h);
std::string hdlr(const std::string& handler);
std::string trak(int version, uint32_t w, uint32_t h, const std::string& handler);
std::string moov(int version = 0);
std::string mp4(int version = 0);

}  // namespace aigate::testing::samples
