#include "core/library/text.h"

#include <catch2/catch.hpp>

#include <random>
#include <set>

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

// The definition findStems() must agree with: the stems of queryTerms(text).
static std::vector<char> stemsBySets(const std::string& text, const std::vector<std::string>& stems,
                                     size_t max_terms) {
  std::set<std::string> all;
  for (const auto& term : queryTerms(text, max_terms)) all.insert(stem(term));
  std::vector<char> found;
  for (const auto& s : stems) found.push_back(all.count(s) ? 1 : 0);
  return found;
}

TEST_CASE("findStems finds exactly the stems of the text's query terms", "[text]") {
  // Words built to hit every stemmer rule (plural, -ies, -sses, -ches, -ing,
  // -ed, 'ss/-us endings), stop words, capitals and over-long words.
  const std::vector<std::string> roots = {"pony", "glass", "beach", "box", "dog", "glow", "paint",
                                          "bus", "moss", "bake", "the", "image", "with", "a"};
  const std::vector<std::string> endings = {"", "s", "es", "ies", "ing", "ed", "ING", "ss"};
  std::mt19937 rng(11);
  auto word = [&] {
    std::string w = roots[rng() % roots.size()];
    if (w.back() == 'y' && rng() % 2) w.pop_back();
    w += endings[rng() % endings.size()];
    if (rng() % 50 == 0) w += std::string(70, 'z');
    return w;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string text;
    const int words = static_cast<int>(rng() % 12);
    for (int i = 0; i < words; ++i) text += word() + (rng() % 3 ? " " : ", ");
    std::vector<std::string> stems;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) stems.push_back(stem(queryTerms(word() + " x").empty() ? "x" : queryTerms(word() + " x").front()));
    std::vector<char> found(stems.size(), 0);
    REQUIRE(findStems(text, stems, found, 512));
    INFO(text);
    CHECK(found == stemsBySets(text, stems, 512));
  }
  std::vector<char> found(1, 0);
  CHECK_FALSE(findStems("one two three", {"two"}, found, 2));  // more words than counted
}
