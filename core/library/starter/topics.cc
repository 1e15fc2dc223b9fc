#include "scene.h"

namespace aigate::starter {

const std::vector<Topic>& allTopics() {
  static const std::vector<Topic> kTopics = {
      {"lifestyle", makeLifestyleScene},
      {"luxury", makeLuxuryScene},
      {"nature", makeNatureScene},
      {"city", makeCityScene},
      {"food", makeFoodScene},
      {"travel", makeTravelScene},
      {"technology", makeTechnologyScene},
      {"business", makeBusinessScene},
      {"fitness", makeFitnessScene},
      {"fashion", makeFashionScene},
      {"animals", makeAnimalsScene},
      {"abstract", makeAbstractScene},
  };
  return kTopics;
}

}  // namespace aigate::starter
