#include "core/api/json_body.h"

#include <catch2/catch.hpp>

using namespace aigate;
using namespace aigate::api;

TEST_CASE("bodies must be JSON objects", "[json]") {
  CHECK(parseJsonObject("")->empty());
  CHECK(parseJsonObject(" {\"a\":1} ")->at("a") == 1);
  CHECK(parseJsonObject("[1]").error().message() == "The body must be a JSON object.");
  CHECK(parseJsonObject("{\"a\":").error().code() == ErrorCode::kInvalidRequest);
  CHECK(parseJsonObject("{\"a\":\"\xff\"}").error().message().find("UTF-8") != std::string::npos);
}

TEST_CASE("deep nesting is refused before parsing", "[json]") {
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto r = parseJsonObject(deep);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find("deeper than 64") != std::string::npos);
  // Brackets inside strings do not count.
  CHECK(parseJsonObject("{\"s\":\"" + std::string(500, '[') + "\"}").ok());
  const std::string ok_depth = "{\"a\":" + std::string(63, '[') + std::string(63, ']') + "}";
  CHECK(parseJsonObject(ok_depth).ok());
}

TEST_CASE("typed fields name the offending field", "[json]") {
  const auto body = nlohmann::json::parse(R"({"email":5,"n":"x","b":1,"ok":"fine","big":99})");
  {
    Fields f(body);
    f.string("email", true);
    REQUIRE_FALSE(f.ok());
    CHECK(f.error().toJson()["field"] == "email");
    CHECK(f.error().message() == "email must be a string.");
  }
  {
    Fields f(body);
    f.integer("n", true, 0, 10);
    CHECK(f.error().message() == "n must be a whole number.");
  }
  {
    Fields f(body);
    f.integer("big", true, 0, 10);
    CHECK(f.error().message() == "big must be between 0 and 10.");
  }
  {
    Fields f(body);
    f.boolean("b", false);
    CHECK(f.error().message() == "b must be true or false.");
  }
  {
    Fields f(body);
    CHECK(f.string("ok", true) == "fine");
    CHECK_FALSE(f.string("absent", false));
    CHECK(f.ok());
    f.string("absent", true);
    CHECK(f.error().message() == "absent is required.");
  }
}
