#include "tests/support/sample_library.h"

#include "tests/support/media_samples.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

namespace aigate::testing {

void writeLibraryFolder(const std::string& dir, const std::vector<SampleAsset>& assets) {
  std::ofstream manifest(dir + "/manifest.jsonl");
  for (const auto& a : assets) {
    const std::string ext = a.file.substr(a.file.rfind('.') + 1);
    std::string bytes;
    if (ext == "png") bytes = samples::png(a.width, a.height);
    if (ext == "jpg") bytes = samples::jpeg(static_cast<uint16_t>(a.width), static_cast<uint16_t>(a.height));
    if (ext == "gif") bytes = samples::gif(static_cast<uint16_t>(a.width), static_cast<uint16_t>(a.height));
    if (ext == "mp4")
      bytes = samples::ftyp() +
              samples::box("moov", samples::mvhd(0, 1000, 3000) +
                                       samples::trak(0, a.width, a.height, "vide")) +
              samples::box("mdat", samples::zeros(16));
    REQUIRE_FALSE(bytes.empty());
    bytes += a.title;  // trailing bytes make every file's content distinct
    std::ofstream(dir + "/" + a.file, std::ios::binary) << bytes;
    manifest << nlohmann::json{{"file", a.file},
                               {"title", a.title},
                               {"description", a.description},
                               {"topic", a.topic},
                               {"tags", a.tags}}
                    .dump()
             << "\n";
  }
}

library::ImportReport importInto(TestGateway& gw, const std::string& dir) {
  return library::importLibrary(dir, gw.store(), gw.storage(), nullptr);
}

std::vector<SampleAsset> standardLibrary() {
  return {
      {"sunset.png", 768, 432, "Golden sunset over the ocean",
       "Warm evening light over calm sea water", "nature", {"sunset", "ocean", "golden hour"}},
      {"sunset_city.png", 768, 432, "Sunset behind city towers",
       "The skyline of a city against an orange evening sky", "city", {"sunset", "skyline"}},
      {"forest.jpg", 512, 512, "Misty pine forest", "Tall pine trees in morning fog", "nature",
       {"forest", "trees", "fog"}},
      {"mountain.png", 432, 768, "Snowy mountain peak", "A snow-capped summit under blue sky",
       "nature", {"mountain", "snow"}},
      {"latte.jpg", 512, 512, "Latte art coffee cup", "A cappuccino with a leaf pattern", "food",
       {"coffee", "cafe", "drink"}},
      {"pizza.png", 512, 640, "Margherita pizza", "Wood-fired pizza with basil", "food",
       {"pizza", "italian"}},
      {"traffic.mp4", 640, 360, "City traffic at night", "Cars streaming through a night street",
       "city", {"traffic", "night", "cars"}},
      {"waves.mp4", 360, 640, "Ocean waves on the shore", "Waves rolling onto a sandy beach",
       "nature", {"ocean", "waves", "beach"}},
  };
}

library::Asset assetRow(int n, const std::string& title) {
  library::Asset a;
  a.type = "image";
  a.title = title;
  a.aspect_ratio = "1:1";
  a.width = a.height = 64;
  char sha[65];
  std::snprintf(sha, sizeof sha, "%064x", n);
  a.sha256 = sha;
  a.file = a.sha256 + ".png";
  a.mime = "image/png";
  return a;
}

}  // namespace aigate::testing
