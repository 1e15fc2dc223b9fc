#pragma once

#include <functional>
#include <string>
#include <vector>

#include "canvas.h"
#include "rng.h"

namespace aigate::starter {

// A drawable composition together with text that describes it truthfully.
// `paint` draws the frame at time t in [0, 1] on a canvas of the aspect ratio the scene was
// made for; the title, description and tags describe the frame at t = 1, which is also the
// still image. The motion fields describe how the frames change from t = 0 to t = 1.
struct Scene {
  std::string title;
  std::string description;
  std::vector<std::string> tags;
  std::string motionPhrase;
  std::string motionSentence;
  std::vector<std::string> motionTags;
  std::function<void(Canvas&, double)> paint;
};

// Builds a scene for a canvas whose width / height equals `aspect`, drawing every choice
// from `rng`.
using SceneFactory = Scene (*)(Rng& rng, double aspect);

struct Topic {
  const char* name;
  SceneFactory make;
};

// Every topic of the starter library, in a fixed order.
const std::vector<Topic>& allTopics();

Scene makeAbstractScene(Rng& rng, double aspect);
Scene makeAnimalsScene(Rng& rng, double aspect);
Scene makeBusinessScene(Rng& rng, double aspect);
Scene makeCityScene(Rng& rng, double aspect);
Scene makeFashionScene(Rng& rng, double aspect);
Scene makeFitnessScene(Rng& rng, double aspect);
Scene makeFoodScene(Rng& rng, double aspect);
Scene makeLifestyleScene(Rng& rng, double aspect);
Scene makeLuxuryScene(Rng& rng, double aspect);
Scene makeNatureScene(Rng& rng, double aspect);
Scene makeTechnologyScene(Rng& rng, double aspect);
Scene makeTravelScene(Rng& rng, double aspect);

}  // namespace aigate::starter
