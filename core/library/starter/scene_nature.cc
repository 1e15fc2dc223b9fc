#include <algorithm>
#include <cmath>
#include <numbers>

#include "scene.h"
#include "scene_kit.h"
#include "text.h"

namespace aigate::starter {

namespace {

enum class Landform { Mountains, Hills, Lake };
enum class NatureMotion { Clouds, Sun, Stars, Ripples };

struct NatureParams {
  Landform form;
  Sky sky;
  Rgb land;
  std::vector<Ridge> ridges;  // farthest first
  std::vector<Hill> hills;    // farthest first
  bool snow;
  bool pines;
  std::vector<Point> trees;  // x and height (normalised) on the nearest slope or shore
  Point light;
  std::vector<Cloud> clouds;
  std::vector<Star> stars;
  NatureMotion motion;
  double waterline;
};

Rgb layerColour(const NatureParams& p, std::size_t layer, std::size_t layers) {
  const double farness = layers > 1 ? 1.0 - static_cast<double>(layer) / (layers - 1) : 0.0;
  return mix(litBy(p.land, p.sky), p.sky.horizon, 0.6 * farness);
}

void paintNature(Canvas& c, const NatureParams& p, double t) {
  const Frame f = frameOf(c);
  paintSky(c, p.sky, p.form == Landform::Lake ? p.waterline : 0.75);
  if (!p.stars.empty()) paintStars(c, p.stars, t, p.motion == NatureMotion::Stars ? 1.0 : 0.0);

  Point light = p.light;
  if (p.motion == NatureMotion::Sun) {
    light.y += (1.0 - t) * (p.sky.time == DayTime::Dawn ? 0.14 : -0.14);
  }
  paintSkyLight(c, p.sky, f.at(light.x, light.y), 0.07 * f.s);
  paintClouds(c, p.clouds, p.sky.cloud, p.motion == NatureMotion::Clouds ? (t - 1.0) * 0.15 : 0.0);

  const Rgb snow = mix(rgbHex(0xFFFFFF), p.sky.horizon, p.sky.time == DayTime::Night ? 0.5 : 0.15);
  for (std::size_t i = 0; i < p.ridges.size(); ++i) {
    paintRidge(c, p.ridges[i], layerColour(p, i, p.ridges.size() + p.hills.size()));
    if (p.snow && i == 0) paintSnowCaps(c, p.ridges[i], snow);
  }
  for (std::size_t i = 0; i < p.hills.size(); ++i) {
    const Rgb colour = p.form == Landform::Mountains
                           ? litBy(rgbHex(0x557F47), p.sky)
                           : layerColour(p, p.ridges.size() + i, p.ridges.size() + p.hills.size());
    paintHill(c, p.hills[i], colour);
  }
  const Rgb treeColour = litBy(tone(p.land, -0.35), p.sky);
  for (const Point& tree : p.trees) {
    double baseY = p.form == Landform::Lake ? p.waterline : p.hills.back().y(tree.x) + 0.02;
    if (p.form == Landform::Lake) baseY += 0.005;
    const Point base = f.at(tree.x, baseY);
    if (p.pines) {
      paintPineTree(c, base, tree.y * f.h, treeColour);
    } else {
      paintRoundTree(c, base, tree.y * f.h, treeColour, litBy(rgbHex(0x5A3E2B), p.sky));
    }
  }
  if (p.form != Landform::Lake) return;

  const Rgb water = mix(p.sky.horizon, rgbHex(0x1B3A5C), 0.45);
  c.reflectBelow(p.waterline * f.h, water, 0.4);
  const double phase = p.motion == NatureMotion::Ripples ? t : 0.0;
  for (int i = 0; i < 7; ++i) {
    const double y = p.waterline + (1.0 - p.waterline) * (i + 0.5) / 7.0;
    const double x = std::fmod(0.13 * i * 7.3 + phase * (0.2 + 0.05 * i), 1.0);
    const double len = 0.08 + 0.02 * i;
    c.strokeLine(f.at(x, y), f.at(x + len, y), std::max(1.0, f.s * 0.004), tone(water, 0.5), 0.35);
  }
}

}  // namespace

Scene makeNatureScene(Rng& rng, double aspect) {
  NatureParams p{};
  p.form = static_cast<Landform>(rng.between(0, 2));
  p.sky = pickSky(rng);
  const bool night = p.sky.time == DayTime::Night;

  static const std::vector<Swatch> kRock = {{"slate-blue", rgbHex(0x4A5A7A)},
                                            {"dusky purple", rgbHex(0x5B4A78)},
                                            {"blue-grey", rgbHex(0x667A94)},
                                            {"deep green", rgbHex(0x2F5D50)},
                                            {"warm brown", rgbHex(0x7A5A48)}};
  static const std::vector<Swatch> kGrass = {{"green", rgbHex(0x5E9E4F)},
                                             {"olive", rgbHex(0x7F8F3F)},
                                             {"sage", rgbHex(0x8DAA7F)},
                                             {"golden autumn", rgbHex(0xC9A24B)},
                                             {"emerald", rgbHex(0x2E8B57)}};
  const Swatch land = p.form == Landform::Hills ? rng.pick(kGrass) : rng.pick(kRock);
  p.land = land.rgb;

  const int layers = p.form == Landform::Lake ? rng.between(2, 3) : rng.between(2, 4);
  p.waterline = rng.range(0.58, 0.66);
  const int peaks = std::max(2, static_cast<int>(std::lround(aspect * rng.range(2.0, 3.2))));
  if (p.form == Landform::Hills) {
    for (int i = 0; i < layers; ++i) {
      p.hills.push_back(makeHill(rng, 0.5 + 0.3 * (i + 1) / layers, rng.range(0.04, 0.08)));
    }
  } else {
    const double bottom = p.form == Landform::Lake ? p.waterline + 0.01 : 0.8;
    for (int i = 0; i < layers; ++i) {
      const double depth = static_cast<double>(i) / layers;
      const double valley = bottom - 0.22 * (1.0 - depth);
      p.ridges.push_back(
          makeRidge(rng, peaks + i, valley, 0.3 + 0.18 * depth, 0.42 + 0.16 * depth));
    }
    if (p.form == Landform::Mountains) p.hills.push_back(makeHill(rng, 0.86, 0.03));
  }
  p.snow = p.form != Landform::Hills && rng.chance(0.6);
  p.pines = rng.chance(0.6);

  const int treeCount = p.form == Landform::Mountains ? 0
                        : p.form == Landform::Lake    ? (rng.chance(0.5) ? rng.between(3, 9) : 0)
                                                      : rng.between(3, 11);
  for (int i = 0; i < treeCount; ++i) {
    const double x = (i + rng.range(0.1, 0.9)) / treeCount;
    const double height = p.form == Landform::Lake ? rng.range(0.06, 0.1) : rng.range(0.12, 0.22);
    p.trees.push_back({x, height});
  }

  const double lightY = p.sky.time == DayTime::Day ? rng.range(0.12, 0.2)
                        : night                    ? rng.range(0.1, 0.2)
                                                   : rng.range(0.24, 0.3);
  p.light = {rng.range(0.15, 0.85), lightY};
  const int cloudCount = night ? rng.between(0, 2) : rng.between(0, 4);
  p.clouds = makeClouds(rng, cloudCount, 0.08, 0.3);
  if (night) p.stars = makeStars(rng, rng.between(60, 140), 0.6);

  std::vector<NatureMotion> motions;
  if (cloudCount > 0) motions.push_back(NatureMotion::Clouds);
  if (p.sky.time == DayTime::Dawn || p.sky.time == DayTime::Dusk)
    motions.push_back(NatureMotion::Sun);
  if (night) motions.push_back(NatureMotion::Stars);
  if (p.form == Landform::Lake) motions.push_back(NatureMotion::Ripples);
  if (motions.empty()) {
    p.clouds = makeClouds(rng, 2, 0.08, 0.3);
    motions.push_back(NatureMotion::Clouds);
  }
  p.motion = rng.pick(motions);

  Scene scene;
  const std::string skyWith =
      "under " + withArticle(p.sky.skyPhrase) + " with " + p.sky.lightPhrase;
  std::string extras;
  if (!p.clouds.empty()) {
    extras += " and " + countOf(static_cast<int>(p.clouds.size()), "soft cloud");
  }
  if (night) extras += ", dotted with stars";
  const std::string treeKind = p.pines ? "pine tree" : "round-topped tree";
  scene.tags = {"nature", "landscape", p.sky.word, land.name, "illustration"};
  switch (p.form) {
    case Landform::Mountains:
      scene.title =
          capitalized((p.snow ? "snowy " : "") + land.name + " mountain range " + underSky(p.sky));
      scene.description = "Flat illustration of " + numberWord(layers) + " layered " + land.name +
                          " mountain ridges" + (p.snow ? ", the farthest capped with snow," : "") +
                          " above a grassy foreground " + skyWith + extras + ".";
      scene.tags.insert(scene.tags.end(), {"mountains", "peaks"});
      break;
    case Landform::Hills:
      scene.title = capitalized("rolling " + land.name + " hills with " +
                                countOf(treeCount, treeKind) + " " + underSky(p.sky));
      scene.description = "Flat illustration of " + numberWord(layers) + " layers of rolling " +
                          land.name + " hills with " + countOf(treeCount, treeKind) +
                          " on the nearest slope " + skyWith + extras + ".";
      scene.tags.insert(scene.tags.end(),
                        {"hills", "trees", p.pines ? "pine trees" : "countryside"});
      break;
    case Landform::Lake:
      scene.title = capitalized(std::string("lake below ") + (p.snow ? "snowy " : "") + land.name +
                                " mountains reflecting " + withArticle(p.sky.skyPhrase));
      scene.description =
          "Flat illustration of a calm lake mirroring " + numberWord(layers) + " " + land.name +
          " mountain ridges" + (p.snow ? " with snowy peaks" : "") +
          (treeCount > 0 ? " and a row of " + countOf(treeCount, treeKind) + " on the shore" : "") +
          " " + skyWith + extras + ".";
      scene.tags.insert(scene.tags.end(), {"lake", "reflection", "mountains", "water"});
      break;
  }
  if (p.snow) scene.tags.push_back("snow");
  if (night) scene.tags.push_back("stars");

  switch (p.motion) {
    case NatureMotion::Clouds:
      scene.motionPhrase = "clouds drifting";
      scene.motionSentence = "The clouds drift slowly from left to right across the sky.";
      scene.motionTags = {"clouds", "drifting"};
      break;
    case NatureMotion::Sun:
      if (p.sky.time == DayTime::Dawn) {
        scene.motionPhrase = "sunrise";
        scene.motionSentence = "The sun rises slowly above the horizon.";
        scene.motionTags = {"sunrise"};
      } else {
        scene.motionPhrase = "sunset";
        scene.motionSentence = "The sun sinks slowly towards the horizon.";
        scene.motionTags = {"sunset"};
      }
      break;
    case NatureMotion::Stars:
      scene.motionPhrase = "twinkling stars";
      scene.motionSentence = "The stars twinkle as their brightness pulses.";
      scene.motionTags = {"twinkling", "stars"};
      break;
    case NatureMotion::Ripples:
      scene.motionPhrase = "shimmering ripples";
      scene.motionSentence = "Light ripples glide across the surface of the lake.";
      scene.motionTags = {"ripples", "water"};
      break;
  }
  scene.paint = [p](Canvas& canvas, double t) { paintNature(canvas, p, t); };
  return scene;
}

}  // namespace aigate::starter
