#include "core/library/manifest.h"

#include <catch2/catch.hpp>

using namespace aigate::library;

TEST_CASE("JSONL rows are read and bad rows reported by line", "[manifest]") {
  const auto m = parseJsonl(
      R"({"file":"a.png","title":"A","tags":["x"," y ","x"],"topic":" Nature "})" "\n"
      "\n"
      R"({"file":"b.png","title":"B","tags":"one, two;three"})" "\n"
      "not json\n"
      R"({"file":"c.png"})" "\n"
      R"({"file":"d.png","title":5})" "\n"
      R"({"file":"e.png","title":"E","tags":[1]})" "\n"
      "[1,2]\n");
  REQUIRE(m.rows.size() == 2);
  CHECK(m.rows[0].line == 1);
  CHECK(m.rows[0].tags == std::vector<std::string>{"x", "y"});
  CHECK(m.rows[0].topic == "nature");
  CHECK(m.rows[1].line == 3);
  CHECK(m.rows[1].tags == std::vector<std::string>{"one", "two", "three"});
  REQUIRE(m.problems.size() == 5);
  CHECK(m.problems[0].line == 4);
  CHECK(m.problems[0].problem == "not a JSON object");
  CHECK(m.problems[1].line == 5);
  CHECK(m.problems[1].problem == "title is required");
  CHECK(m.problems[2].problem == "title must be a string");
  CHECK(m.problems[3].problem.rfind("tags must be", 0) == 0);
  CHECK(m.problems[4].line == 8);
}

TEST_CASE("CSV rows honour quotes, embedded commas and newlines", "[manifest]") {
  const auto m = parseCsv(
      "file,title,description,topic,tags\r\n"
      "a.png,\"Sunset, golden\",\"Two\nlines\",nature,sun;sea\r\n"
      "b.png,\"Say \"\"hi\"\"\",,city,\n"
      "c.png,only three,fields\n"
      ",missing file,,,\n");
  REQUIRE(m.rows.size() == 2);
  CHECK(m.rows[0].title == "Sunset, golden");
  CHECK(m.rows[0].description == "Two\nlines");
  CHECK(m.rows[0].tags == std::vector<std::string>{"sun", "sea"});
  CHECK(m.rows[1].line == 4);
  CHECK(m.rows[1].title == "Say \"hi\"");
  REQUIRE(m.problems.size() == 2);
  CHECK(m.problems[0].line == 5);
  CHECK(m.problems[0].problem == "has 3 fields; the header has 5");
  CHECK(m.problems[1].line == 6);
  CHECK(m.problems[1].problem == "file is required");
}

TEST_CASE("a CSV header must name file and title", "[manifest]") {
  const auto m = parseCsv("path,name\na.png,A\n");
  CHECK(m.rows.empty());
  REQUIRE(m.problems.size() == 1);
  CHECK(m.problems[0].line == 1);
}
