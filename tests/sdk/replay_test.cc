// The SDK's replay kit, exercised with the example plugin's class.
#include <aigate/replay.hpp>

#include <catch2/catch.hpp>

#include "examples/plugin-hello/hello_plugin.hpp"

using aigate::sdk::json;
using aigate::sdk::replay;

namespace {

json script(json exchanges, json expect) {
  return {{"start", {{"request", {{"prompt", "a fox"}}}, {"credential", {{"api_key", "k"}}}}},
          {"exchanges", std::move(exchanges)},
          {"expect", std::move(expect)}};
}

json submitted() {
  return {{"request", {{"method", "POST"}, {"url", "https://api.hello.example/v1/images"}}},
          {"response", {{"status", 202}, {"body", R"({"id":"i1"})"}}}};
}

}  // namespace

TEST_CASE("replay drives a plugin through recorded exchanges and waits", "[sdk][replay]") {
  hello::HelloPlugin plugin(json::object());
  auto done = json{{"request", {{"method", "GET"}, {"url", "https://api.hello.example/v1/images/i1"}}},
                   {"response",
                    {{"status", 200},
                     {"body", R"({"status":"succeeded","url":"https://x/i1.png","width":8,"height":8})"}}}};
  auto result = replay(plugin, script({submitted(), done}, {{"action", "done"}}));
  INFO(result.problem);
  CHECK(result.ok);
  CHECK(result.final_action["outputs"][0]["url"] == "https://x/i1.png");
  // submit → wait → poll → done
  REQUIRE(result.actions.size() == 4);
  CHECK(result.actions[1]["action"] == "wait");
}

TEST_CASE("replay reports a request that differs from the recording", "[sdk][replay]") {
  hello::HelloPlugin plugin(json{{"base_url", "https://elsewhere.example"}});
  auto result = replay(plugin, script({submitted()}, {{"action", "done"}}));
  CHECK_FALSE(result.ok);
  CHECK(result.problem.find("exchange 0: expected") == 0);
}

TEST_CASE("replay reports unused exchanges and unexpected endings", "[sdk][replay]") {
  hello::HelloPlugin plugin(json::object());
  auto failing = json{{"request", {{"method", "POST"}}},
                      {"response", {{"status", 500}, {"body", "down"}}}};
  auto extra = replay(plugin, script({failing, submitted()}, {{"action", "fail"}}));
  CHECK_FALSE(extra.ok);
  CHECK(extra.problem == "the job ended (fail) with 1 recorded exchanges left");

  auto wrong_end = replay(plugin, script({failing}, {{"action", "done"}}));
  CHECK_FALSE(wrong_end.ok);
  CHECK(wrong_end.problem.find("expected {\"action\":\"done\"}") != std::string::npos);

  auto too_few = replay(plugin, script(json::array(), {{"action", "done"}}));
  CHECK_FALSE(too_few.ok);
  CHECK(too_few.problem.find("the plugin sent a request after the last recorded exchange") == 0);
}

TEST_CASE("a network error can be replayed", "[sdk][replay]") {
  hello::HelloPlugin plugin(json::object());
  auto unreachable = json{{"request", {{"method", "POST"}}}, {"response", {{"error", "connection refused"}}}};
  auto result = replay(plugin, script({unreachable}, {{"action", "fail"}, {"retryable", true}}));
  INFO(result.problem);
  CHECK(result.ok);
  CHECK(result.final_action["code"] == "upstream_unreachable");
}

TEST_CASE("replay can cancel a job after some exchanges", "[sdk][replay]") {
  hello::HelloPlugin plugin(json::object());
  json s = script({submitted(),
                   {{"request", {{"method", "DELETE"}, {"url", "https://api.hello.example/v1/images/i1"},
                                 {"headers", {{"authorization", "Bearer k"}}}}},
                    {"response", {{"status", 200}, {"body", R"({"id":"i1","status":"canceled"})"}}}}},
                  {{"action", "fail"}, {"code", "canceled"}});
  s["cancel_after"] = 1;
  auto result = replay(plugin, s);
  INFO(result.problem);
  CHECK(result.ok);
}

TEST_CASE("the credential reaches every event and never the state", "[sdk][replay]") {
  hello::HelloPlugin plugin(json::object());
  auto done = json{{"request", {{"method", "GET"}, {"url", "https://api.hello.example/v1/images/i1"},
                                {"headers", {{"authorization", "Bearer k"}}}}},
                   {"response",
                    {{"status", 200},
                     {"body", R"({"status":"succeeded","url":"https://x/i1.png","width":8,"height":8})"}}}};
  auto result = replay(plugin, script({submitted(), done}, {{"action", "done"}}));
  INFO(result.problem);
  REQUIRE(result.ok);
  for (const auto& action : result.actions)
    CHECK(action.value("state", json()).dump().find("\"k\"") == std::string::npos);
}
