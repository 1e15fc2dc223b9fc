#include "core/library/text.h"

#include <catch2/catch.hpp>

using namespace aigate::library;

TEST_CASE("query terms are lowercased words without stop words or repeats", "[text]") {
  CHECK(queryTerms("A Golden SUNSET over the ocean, sunset!") ==
        std::vector<std::string>{"golden", "sunset", "ocean"});
  CHECK(queryTerms("").empty());
  CHECK(queryTerms("the of and").empty());
  CHECK(queryTerms("caf\xC3\xA9 cr\xC3\xA8me") == std::vector<std::string>{"caf\xC3\xA9", "cr\xC3\xA8me"});
  CHECK(queryTerms(std::string(10'000, 'x') + " y").front().size() == 64);
  CHECK(queryTerms("a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8 9", 32).size() == 32);
}

TEST_CASE("FTS syntax in user text never reaches FTS as syntax", "[text]") {
  CHECK(ftsQuery(queryTerms("\"quoted\" * NEAR(a b) AND OR NOT (x"), true) ==
        "\"quoted\" AND \"b\" AND \"not\" AND \"x\"");
  CHECK(ftsQuery({"sun", "sea"}, false) == "\"sun\" OR \"sea\"");
  CHECK(ftsQuery({}, true).empty());
}

TEST_CASE("the stemmer folds common English endings", "[text]") {
  CHECK(stem("mountains") == "mountain");
  CHECK(stem("cities") == "city");
  CHECK(stem("glowing") == "glow");
  CHECK(stem("beaches") == "beach");
  CHECK(stem("grass") == "grass");
  CHECK(stem("bus") == "bus");
  CHECK(stem("painted") == "paint");
  CHECK(stem("sky") == "sky");
}
