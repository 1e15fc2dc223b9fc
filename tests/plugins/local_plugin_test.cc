// The `local` provider plugin, loaded through the host like the gateway does:
// it says honestly what it is, renders real PNG and MP4 files whose headers
// match the request, is deterministic in (prompt, seed, aspect ratio), and
// refuses bad requests and bad settings without retry.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "core/library/media_probe.h"
#include "core/plugin_host/plugin_host.h"
#include "tests/support/temp_dir.h"

using aigate::library::probeMedia;
using aigate::plugin_host::loadPlugin;
using aigate::plugin_host::Plugin;
using aigate::plugin_host::PluginInstance;
using nlohmann::json;

namespace {

std::shared_ptr<Plugin> localPlugin() {
  auto loaded = loadPlugin(AIGATE_LOCAL_PLUGIN);
  if (!loaded.ok()) FAIL(loaded.error().message());
  return loaded.value();
}

std::unique_ptr<PluginInstance> instance(const json& settings = json::object()) {
  auto created = localPlugin()->create(settings);
  if (!created.ok()) FAIL(created.error().message());
  return std::move(created.value());
}

json startEvent(const std::string& kind, const std::string& prompt, const std::string& ratio,
                const json& seed = 7) {
  json request = {
      {"kind", kind}, {"prompt", prompt}, {"aspect_ratio", ratio}, {"model", "procedural-1"}};
  if (!seed.is_null()) request["seed"] = seed;
  return {{"event", "start"},
          {"job_id", "job_test"},
          {"request", request},
          {"credential", nullptr},
          {"state", nullptr}};
}

std::string base64Decode(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto v = kAlphabet.find(c);
    if (v == std::string::npos) FAIL("not base64: " << c);
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return out;
}

// The file of a "done" answer with one output.
std::string fileOf(const json& answer) {
  INFO(answer.dump().substr(0, 400));
  REQUIRE(answer["action"] == "done");
  REQUIRE(answer["outputs"].size() == 1);
  return base64Decode(answer["outputs"][0]["data_base64"].get<std::string>());
}

std::string render(PluginInstance& plugin, const std::string& prompt, const json& seed = 7,
                   const std::string& ratio = "1:1") {
  return fileOf(plugin.step(startEvent("image", prompt, ratio, seed)));
}

// The offset of the first top-level ISO-BMFF box of `type`, or nullopt.
std::optional<std::size_t> topLevelBox(const std::string& mp4, const std::string& type) {
  std::size_t pos = 0;
  while (pos + 8 <= mp4.size()) {
    std::uint64_t size = 0;
    for (int i = 0; i < 4; ++i) size = size << 8 | static_cast<unsigned char>(mp4[pos + i]);
    if (mp4.compare(pos + 4, 4, type) == 0) return pos;
    if (size == 1 && pos + 16 <= mp4.size()) {
      size = 0;
      for (int i = 8; i < 16; ++i) size = size << 8 | static_cast<unsigned char>(mp4[pos + i]);
    }
    if (size < 8) return std::nullopt;
    pos += size;
  }
  return std::nullopt;
}

bool onPath(const std::string& program) {
  return std::system(("command -v " + program + " >/dev/null 2>&1").c_str()) == 0;
}

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) out.append(buffer, n);
  ::pclose(pipe);
  return out;
}

}  // namespace

TEST_CASE("local_plugin: describes itself honestly", "[local_plugin]") {
  const json d = localPlugin()->description();
  CHECK(d["name"] == "local");
  CHECK(d["version"] == "1.0.0");
  CHECK(d["description"].get<std::string>().find("Not an AI model") != std::string::npos);
  CHECK(d["kinds"] == json{"image", "video"});
  CHECK(d["models"] == json{"procedural-1"});
  CHECK(d["default_model"] == "procedural-1");
  json ratios = json::array();
  for (const auto r : aigate::library::aspectRatios()) ratios.push_back(r);
  CHECK(d["aspect_ratios"] == ratios);
  CHECK(d["price"] == json{{"image", 10}, {"video", 100}});
  CHECK(d["local"] == true);
  CHECK(d["can_cancel"] == false);
}

TEST_CASE("local_plugin: draws a real PNG at the requested aspect ratio", "[local_plugin]") {
  struct Case {
    std::string ratio;
    int width;
    int height;
  };
  const Case c = GENERATE(Case{"1:1", 1024, 1024}, Case{"16:9", 1024, 576}, Case{"9:16", 576, 1024},
                          Case{"21:9", 1024, 438});
  INFO(c.ratio);
  auto plugin = instance();
  const json answer = plugin->step(startEvent("image", "a red fox in a forest", c.ratio));
  const std::string png = fileOf(answer);
  REQUIRE(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
  std::string problem;
  const auto info = probeMedia(png, &problem);
  INFO(problem);
  REQUIRE(info);
  CHECK(info->mime == "image/png");
  CHECK(info->width == c.width);
  CHECK(info->height == c.height);
  CHECK(aigate::library::bucketAspectRatio(info->width, info->height) == c.ratio);

  const json& output = answer["outputs"][0];
  CHECK(output["mime"] == "image/png");
  CHECK(output["width"] == c.width);
  CHECK(output["height"] == c.height);
  CHECK_FALSE(output.contains("duration_s"));
  CHECK(answer["usage"]["renderer"] == "procedural-1");
  CHECK(answer["usage"]["render_ms"].is_number_integer());
}

TEST_CASE("local_plugin: a picture depends only on its prompt and seed and ratio",
          "[local_plugin]") {
  auto plugin = instance({{"image_long_side", 256}});
  const std::string first = render(*plugin, "a quiet ocean at night", 42);
  CHECK(render(*plugin, "a quiet ocean at night", 42) == first);
  CHECK(render(*instance({{"image_long_side", 256}}), "a quiet ocean at night", 42) == first);
  CHECK(render(*plugin, "a loud city at noon", 42) != first);
  CHECK(render(*plugin, "a quiet ocean at night", 43) != first);
  CHECK(render(*plugin, "a quiet ocean at night", 42, "4:3") != first);
  // No seed is seed 0.
  CHECK(render(*plugin, "a quiet ocean at night", nullptr) ==
        render(*plugin, "a quiet ocean at night", 0));
}

TEST_CASE("local_plugin: renders an H.264 MP4 that browsers can stream", "[local_plugin]") {
  auto plugin = instance();
  const json answer = plugin->step(startEvent("video", "waves under a purple sky", "16:9"));
  const std::string mp4 = fileOf(answer);
  std::string problem;
  const auto info = probeMedia(mp4, &problem);
  INFO(problem);
  REQUIRE(info);
  CHECK(info->mime == "video/mp4");
  CHECK(info->width == 640);
  CHECK(info->height == 360);
  REQUIRE(info->duration_s);
  CHECK(*info->duration_s == Approx(3.0).margin(0.1));

  const auto moov = topLevelBox(mp4, "moov");
  const auto mdat = topLevelBox(mp4, "mdat");
  REQUIRE(moov);
  REQUIRE(mdat);
  CHECK(*moov < *mdat);

  const json& output = answer["outputs"][0];
  CHECK(output["mime"] == "video/mp4");
  CHECK(output["width"] == 640);
  CHECK(output["height"] == 360);
  CHECK(output["duration_s"].get<double>() == Approx(3.0));

  if (onPath("ffprobe")) {
    aigate::testing::TempDir dir;
    const std::string path = dir.file("clip.mp4");
    std::ofstream(path, std::ios::binary) << mp4;
    const std::string streams = run("ffprobe -v error -show_streams '" + path + "'");
    CHECK(streams.find("codec_name=h264") != std::string::npos);
    CHECK(streams.find("pix_fmt=yuv420p") != std::string::npos);
    CHECK(streams.find("nb_frames=72") != std::string::npos);
  }
}

TEST_CASE("local_plugin: settings size the outputs", "[local_plugin]") {
  auto plugin = instance(
      {{"image_long_side", 320}, {"video_long_side", 320}, {"video_seconds", 1}, {"fps", 12}});
  const json image = plugin->step(startEvent("image", "a portrait", "4:5"));
  CHECK(image["outputs"][0]["width"] == 256);
  CHECK(image["outputs"][0]["height"] == 320);

  const json video = plugin->step(startEvent("video", "a portrait", "9:16"));
  const auto info = probeMedia(fileOf(video), nullptr);
  REQUIRE(info);
  CHECK(info->width == 180);
  CHECK(info->height == 320);
  REQUIRE(info->duration_s);
  CHECK(*info->duration_s == Approx(1.0).margin(0.1));
  CHECK(video["outputs"][0]["duration_s"].get<double>() == Approx(1.0));
}

TEST_CASE("local_plugin: refuses bad requests without retry", "[local_plugin]") {
  auto plugin = instance({{"image_long_side", 64}});
  const auto refusal = [&](const json& event, const std::string& code) {
    const json answer = plugin->step(event);
    INFO(answer.dump());
    CHECK(answer["action"] == "fail");
    CHECK(answer["code"] == code);
    CHECK(answer["retryable"] == false);
    return answer.value("message", std::string());
  };
  CHECK(refusal(startEvent("image", "a cat", "5:7"), "invalid_request").find("5:7") !=
        std::string::npos);
  refusal(startEvent("audio", "a cat", "1:1"), "invalid_request");
  json other_model = startEvent("image", "a cat", "1:1");
  other_model["request"]["model"] = "dall-e-3";
  refusal(other_model, "invalid_request");
  json text_seed = startEvent("image", "a cat", "1:1");
  text_seed["request"]["seed"] = "seven";
  refusal(text_seed, "invalid_request");
  refusal({{"event", "cancel"}, {"state", nullptr}}, "canceled");
  refusal({{"event", "timer"}, {"state", nullptr}}, "invalid_request");
  refusal({{"event", "http_response"}, {"status", 200}, {"state", nullptr}}, "invalid_request");
}

TEST_CASE("local_plugin: refuses bad settings at create", "[local_plugin]") {
  auto plugin = localPlugin();
  const auto refusal = [&](const json& settings) {
    auto created = plugin->create(settings);
    REQUIRE_FALSE(created.ok());
    return created.error().message();
  };
  CHECK_THAT(refusal({{"image_long_side", 10}}), Catch::Contains("image_long_side"));
  CHECK_THAT(refusal({{"image_long_side", 5000}}), Catch::Contains("64..4096"));
  CHECK_THAT(refusal({{"video_long_side", 641}}), Catch::Contains("even"));
  CHECK_THAT(refusal({{"video_long_side", 4000}}), Catch::Contains("video_long_side"));
  CHECK_THAT(refusal({{"video_seconds", 11}}), Catch::Contains("video_seconds"));
  CHECK_THAT(refusal({{"video_seconds", "3"}}), Catch::Contains("number"));
  CHECK_THAT(refusal({{"fps", 0}}), Catch::Contains("fps"));
  CHECK_THAT(refusal({{"fps", 24.5}}), Catch::Contains("integer"));
  CHECK_THAT(refusal({{"colour", "red"}}), Catch::Contains("unknown setting"));
  CHECK_THAT(refusal(json::array()), Catch::Contains("object"));
  CHECK(plugin->create(json::object()).ok());
}
