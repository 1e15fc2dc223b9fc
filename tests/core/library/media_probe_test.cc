// probeMedia/probeFile on hand-built headers, hostile input and (when ffmpeg
// is installed) real files; bucketAspectRatio on exact and near ratios.
#include "core/library/media_probe.h"

#include "tests/support/media_samples.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

using aigate::library::aspectRatios;
using aigate::library::bucketAspectRatio;
using aigate::library::MediaInfo;
using aigate::library::probeFile;
using aigate::library::probeMedia;

namespace fs = std::filesystem;
using namespace aigate::testing::samples;

namespace {

void checkSize(const std::optional<MediaInfo>& info, int w, int h) {
  REQUIRE(info);
  CHECK(info->width == w);
  CHECK(info->height == h);
}

// Probing `bytes` yields a sane size or nullopt with a reason.
void checkSaneOrReasoned(std::string_view bytes) {
  std::string problem;
  const auto info = probeMedia(bytes, &problem);
  if (info) {
    CHECK(info->width > 0);
    CHECK(info->height > 0);
  } else {
    CHECK_FALSE(problem.empty());
  }
}

std::vector<std::string> validSamples() {
  return {png(10, 20),
          jpeg(30, 40),
          gif(50, 60),
          webpVp8(70, 80, 0),
          webpVp8l(90, 100),
          webpVp8x(110, 120),
          mp4(0),
          mp4(1),
          ftyp() + box64("moov", mvhd(1, 1, 1) + trak(1, 5, 6, "vide"))};
}

// A directory removed with its contents at the end of the test.
struct TempDir {
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("media_probe_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string file(const std::string& name, const std::string& bytes = {}) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path path;
};

}  // namespace

TEST_CASE("PNG size comes from IHDR", "[probe]") {
  const auto info = probeMedia(png(1920, 1080), nullptr);
  checkSize(info, 1920, 1080);
  CHECK(info->type == "image");
  CHECK(info->mime == "image/png");
  CHECK(info->ext == "png");
  CHECK_FALSE(info->duration_s);
}

TEST_CASE("JPEG size comes from SOF0 after APP0", "[probe]") {
  const auto info = probeMedia(jpeg(800, 600), nullptr);
  checkSize(info, 800, 600);
  CHECK(info->mime == "image/jpeg");
  CHECK(info->ext == "jpg");
}

TEST_CASE("JPEG walk skips fill bytes, standalone markers and tables to a progressive SOF",
          "[probe]") {
  const std::string dht = jpegSegment(0xC4, zeros(18));
  const std::string dac = jpegSegment(0xCC, zeros(2));
  const std::string bytes = "\xff\xd8" + jpegApp0() + "\xff\xff\xff\x01\xff\xd0" + dht + dac +
                            "\xff\xff" + jpegSof(0xC2, 1024, 768) + jpegScanStart();
  checkSize(probeMedia(bytes, nullptr), 1024, 768);
}

TEST_CASE("JPEG EXIF orientation is ignored: the stored size is reported", "[probe]") {
  // TIFF header, one IFD entry: Orientation (0x0112) = 6, i.e. rotate 90 degrees.
  const std::string tiff = "MM" + be(42, 2) + be(8, 4) + be(1, 2) + be(0x0112, 2) + be(3, 2) +
                           be(1, 4) + be(6, 2) + zeros(2) + zeros(4);
  const std::string bytes = "\xff\xd8" + jpegSegment(0xE1, std::string("Exif\0\0", 6) + tiff) +
                            jpegSof(0xC0, 4032, 3024) + jpegScanStart();
  checkSize(probeMedia(bytes, nullptr), 4032, 3024);
}

TEST_CASE("JPEG without SOF before its scan is rejected", "[probe]") {
  std::string problem;
  CHECK_FALSE(probeMedia("\xff\xd8" + jpegApp0() + jpegScanStart() + "\xff\xd9", &problem));
  CHECK(problem.find("SOF") != std::string::npos);
  CHECK_FALSE(probeMedia("\xff\xd8" + jpegApp0() + "\xff\xd9", &problem));
  CHECK_FALSE(probeMedia("\xff\xd8" + jpegApp0() + "garbage", &problem));
  CHECK(problem.find("marker") != std::string::npos);
}

TEST_CASE("GIF size comes from the logical screen descriptor", "[probe]") {
  const auto info = probeMedia(gif(320, 200), nullptr);
  checkSize(info, 320, 200);
  CHECK(info->mime == "image/gif");
  checkSize(probeMedia("GIF87a" + le(1, 2) + le(65535, 2), nullptr), 1, 65535);
}

TEST_CASE("WebP size comes from VP8, VP8L or VP8X", "[probe]") {
  const auto lossy = probeMedia(webpVp8(550, 368, 2), nullptr);
  checkSize(lossy, 550, 368);
  CHECK(lossy->mime == "image/webp");
  CHECK(lossy->ext == "webp");
  checkSize(probeMedia(webpVp8l(16383, 1), nullptr), 16383, 1);
  checkSize(probeMedia(webpVp8l(400, 301), nullptr), 400, 301);
  checkSize(probeMedia(webpVp8x(16777216, 3), nullptr), 16777216, 3);
}

TEST_CASE("MP4 size comes from the video track and duration from mvhd", "[probe]") {
  for (int version : {0, 1}) {
    CAPTURE(version);
    const auto info = probeMedia(mp4(version), nullptr);
    checkSize(info, 640, 360);
    CHECK(info->type == "video");
    CHECK(info->mime == "video/mp4");
    CHECK(info->ext == "mp4");
    REQUIRE(info->duration_s);
    CHECK(*info->duration_s == Approx(2.5));
  }
}

TEST_CASE("MP4 prefers the 'vide' track over an earlier sized track", "[probe]") {
  const std::string bytes = ftyp() + box("moov", mvhd(0, 600, 600) + trak(0, 100, 50, "text") +
                                                     trak(0, 1280, 720, "vide"));
  const auto info = probeMedia(bytes, nullptr);
  checkSize(info, 1280, 720);
  CHECK(*info->duration_s == Approx(1.0));
  // Without a 'vide' track, the first sized track is used.
  checkSize(probeMedia(ftyp() + box("moov", trak(0, 100, 50, "text")), nullptr), 100, 50);
}

TEST_CASE("MP4 boxes with 64-bit and to-the-end sizes are walked", "[probe]") {
  const std::string big = ftyp() + box64("mdat", zeros(32)) +
                          box64("moov", mvhd(1, 90000, 180000) + trak(1, 320, 240, "vide"));
  const auto info = probeMedia(big, nullptr);
  checkSize(info, 320, 240);
  CHECK(*info->duration_s == Approx(2.0));

  std::string to_end = ftyp() + moov();
  to_end.replace(ftyp().size(), 4, be(0, 4));  // moov's size 0: it runs to the end
  checkSize(probeMedia(to_end, nullptr), 640, 360);
  checkSize(probeMedia(ftyp() + moov() + be(0, 4) + "mdat" + zeros(100), nullptr), 640, 360);
}

TEST_CASE("MP4 with an unknown duration reports none", "[probe]") {
  const auto info = probeMedia(
      ftyp() + box("moov", mvhd(0, 1000, 0xffffffff) + trak(0, 64, 64, "vide")), nullptr);
  checkSize(info, 64, 64);
  CHECK_FALSE(info->duration_s);
}

TEST_CASE("hostile MP4 boxes are rejected with a reason", "[probe]") {
  std::string problem;
  SECTION("size smaller than its header") {
    CHECK_FALSE(probeMedia(ftyp() + be(4, 4) + "free" + moov(), &problem));
    CHECK(problem.find("smaller than its header") != std::string::npos);
  }
  SECTION("64-bit size smaller than its header") {
    CHECK_FALSE(probeMedia(ftyp() + be(1, 4) + "free" + be(8, 8) + moov(), &problem));
    CHECK(problem.find("smaller than its header") != std::string::npos);
  }
  SECTION("64-bit size past the end") {
    CHECK_FALSE(probeMedia(ftyp() + be(1, 4) + "mdat" + be(UINT64_MAX, 8) + moov(), &problem));
    CHECK(problem.find("runs past") != std::string::npos);
  }
  SECTION("size 0 swallows the moov that follows") {
    CHECK_FALSE(probeMedia(ftyp() + be(0, 4) + "mdat" + moov(), &problem));
    CHECK(problem.find("no moov") != std::string::npos);
  }
  SECTION("child box larger than moov") {
    std::string bytes = ftyp() + moov();
    bytes.replace(ftyp().size() + 8, 4, be(0x7fffffff, 4));  // mvhd's size
    CHECK_FALSE(probeMedia(bytes, &problem));
    CHECK(problem.find("runs past") != std::string::npos);
  }
  SECTION("tkhd too short for its version") {
    const std::string short_tkhd = box("tkhd", std::string("\x01\0\0\0", 4) + zeros(80));
    CHECK_FALSE(probeMedia(ftyp() + box("moov", box("trak", short_tkhd)), &problem));
    CHECK(problem.find("tkhd") != std::string::npos);
  }
  SECTION("no track with a size") {
    CHECK_FALSE(probeMedia(ftyp() + box("moov", mvhd(0, 1, 1) + trak(0, 0, 0, "soun")), &problem));
    CHECK(problem.find("no track") != std::string::npos);
  }
}

TEST_CASE("zero sizes and unknown formats are rejected with a reason", "[probe]") {
  std::string problem;
  CHECK_FALSE(probeMedia(png(0, 10), &problem));
  CHECK(problem.find("zero") != std::string::npos);
  CHECK_FALSE(probeMedia(jpeg(10, 0), &problem));
  CHECK_FALSE(probeMedia(gif(0, 0), &problem));
  CHECK_FALSE(probeMedia(png(0x80000000u, 1), &problem));
  CHECK(problem.find("out of range") != std::string::npos);
  CHECK_FALSE(probeMedia("", &problem));
  CHECK(problem.find("empty") != std::string::npos);
  CHECK_FALSE(probeMedia("hello, world: not an image", &problem));
  CHECK(problem.find("unrecognised") != std::string::npos);
  CHECK_FALSE(
      probeMedia(riff("VP8 ", std::string("\x51\x02\x00\x9d\x01\x2a", 6) + zeros(4)), &problem));
  CHECK(problem.find("key frame") != std::string::npos);
  CHECK_FALSE(probeMedia(riff("ALPH", zeros(10)), &problem));
}

TEST_CASE("every truncation of a valid header fails cleanly or reports a sane size", "[probe]") {
  for (const std::string& whole : validSamples()) {
    for (size_t n = 0; n < whole.size(); ++n)
      checkSaneOrReasoned(std::string_view(whole).substr(0, n));
    std::string problem;
    CHECK_FALSE(probeMedia(std::string_view(whole).substr(0, whole.size() / 2), &problem));
  }
}

TEST_CASE("random bytes never crash the probe", "[probe]") {
  std::mt19937 rng(20240601);
  const std::vector<std::string> magics = {"",
                                           std::string("\x89PNG\r\n\x1a\n", 8),
                                           "\xff\xd8\xff",
                                           "GIF89a",
                                           std::string("RIFF\x10\0\0\0WEBPVP8 ", 16),
                                           std::string("RIFF\x10\0\0\0WEBPVP8L", 16),
                                           std::string("RIFF\x10\0\0\0WEBPVP8X", 16),
                                           std::string("\0\0\0\x10", 4) + "ftyp",
                                           std::string("\0\0\0\x01moov", 8)};
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = magics[i % magics.size()];
    const size_t extra = rng() % 300;
    for (size_t j = 0; j < extra; ++j) bytes += static_cast<char>(rng() & 0xff);
    checkSaneOrReasoned(bytes);
  }
}

TEST_CASE("valid headers with corrupted bytes never crash the probe", "[probe]") {
  std::mt19937 rng(7);
  const std::vector<std::string> samples = validSamples();
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = samples[i % samples.size()];
    for (int flips = 1 + rng() % 4; flips > 0; --flips)
      bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xff);
    checkSaneOrReasoned(bytes);
  }
}

TEST_CASE("probeFile finds a moov after a huge mdat without reading the mdat", "[probe]") {
  TempDir dir;
  // A sparse 1 GiB mdat: reading it would be slow and, under sanitizers, memory-hungry.
  const uint64_t mdat_payload = uint64_t{1} << 30;
  const std::string head = ftyp() + be(1, 4) + "mdat" + be(16 + mdat_payload, 8);
  const std::string path = dir.file("big.mp4", head);
  fs::resize_file(path, head.size() + mdat_payload);
  std::ofstream(path, std::ios::binary | std::ios::app) << moov();

  std::string problem;
  const auto info = probeFile(path, &problem);
  INFO(problem);
  checkSize(info, 640, 360);
  CHECK(*info->duration_s == Approx(2.5));
}

TEST_CASE("probeFile reads images and reports files it cannot probe", "[probe]") {
  TempDir dir;
  checkSize(probeFile(dir.file("a.png", png(3, 4)), nullptr), 3, 4);
  // The content decides the format, not the name.
  const auto info = probeFile(dir.file("really_a_jpeg.png", jpeg(5, 6)), nullptr);
  checkSize(info, 5, 6);
  CHECK(info->mime == "image/jpeg");
  checkSize(probeFile(dir.file("b.mp4", mp4()), nullptr), 640, 360);

  std::string problem;
  CHECK_FALSE(probeFile((dir.path / "missing.png").string(), &problem));
  CHECK(problem.find("cannot open") != std::string::npos);
  CHECK_FALSE(probeFile(dir.path.string(), &problem));
  CHECK(problem.find("not a regular file") != std::string::npos);
  CHECK_FALSE(probeFile(dir.file("empty.jpg"), &problem));
  CHECK(problem.find("empty") != std::string::npos);
  const std::string whole = mp4();
  CHECK_FALSE(probeFile(dir.file("cut.mp4", whole.substr(0, whole.size() / 2)), &problem));
}

TEST_CASE("files made by ffmpeg probe to their real size and duration", "[probe]") {
  if (std::system("command -v ffmpeg > /dev/null 2>&1") != 0) {
    WARN("ffmpeg is not installed; skipping the real-file probe");
    return;
  }
  TempDir dir;
  const auto make = [&](const std::string& args, const std::string& name) {
    const std::string out = (dir.path / name).string();
    const std::string cmd =
        "ffmpeg -hide_banner -loglevel error -y -f lavfi " + args + " '" + out + "'";
    INFO(cmd);
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
  };
  const std::string video =
      make("-i testsrc=duration=2:size=320x240:rate=25 -pix_fmt yuv420p", "clip.mp4");
  const std::string image = "-i testsrc=size=200x150 -frames:v 1";
  const std::string png_path = make(image, "frame.png");
  const std::string jpg_path = make(image, "frame.jpg");

  std::string problem;
  const auto mp4_info = probeFile(video, &problem);
  INFO(problem);
  checkSize(mp4_info, 320, 240);
  CHECK(mp4_info->mime == "video/mp4");
  REQUIRE(mp4_info->duration_s);
  CHECK(*mp4_info->duration_s == Approx(2.0).margin(0.1));
  checkSize(probeFile(png_path, &problem), 200, 150);
  checkSize(probeFile(jpg_path, &problem), 200, 150);
}

TEST_CASE("aspect ratios bucket to the nearest in log space", "[probe]") {
  CHECK(aspectRatios().size() == 9);
  CHECK(aspectRatios()[0] == "1:1");
  CHECK(aspectRatios()[8] == "21:9");
  CHECK(bucketAspectRatio(1080, 1920) == "9:16");
  CHECK(bucketAspectRatio(1920, 1080) == "16:9");
  CHECK(bucketAspectRatio(2560, 1080) == "21:9");
  CHECK(bucketAspectRatio(1000, 1000) == "1:1");
  CHECK(bucketAspectRatio(1080, 1350) == "4:5");
  CHECK(bucketAspectRatio(1024, 768) == "4:3");
  CHECK(bucketAspectRatio(768, 1024) == "3:4");
  CHECK(bucketAspectRatio(1200, 800) == "3:2");
  CHECK(bucketAspectRatio(800, 1200) == "2:3");
  CHECK(bucketAspectRatio(1366, 768) == "16:9");  // near ratio
  CHECK(bucketAspectRatio(1010, 1000) == "1:1");
  CHECK(bucketAspectRatio(10000, 1) == "21:9");
  CHECK(bucketAspectRatio(1, 10000) == "9:16");
  CHECK(bucketAspectRatio(0, 1080) == "1:1");
  CHECK(bucketAspectRatio(1920, 0) == "1:1");
  CHECK(bucketAspectRatio(-1920, 1080) == "1:1");
  CHECK(bucketAspectRatio(1920, -1080) == "1:1");
}
