#include "scene.h"

namespace aigate::starter {

const std::vector<Topic>& allTopics() {
  static const std::vector<Topic> kTopics = {
      {"nature", makeNatureScene},
  };
  return kTopics;
}

}  // namespace aigate::starter
