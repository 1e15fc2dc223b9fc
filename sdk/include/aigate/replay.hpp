// The replay kit: test a plugin against recorded HTTP exchanges, with no
// network and no host. A script (JSON, e.g. from a file) says how the job
// starts, which requests the plugin must make in order and what each one got
// back, and how the job must end:
//
//   {"settings": {"base_url": "https://api.example.com"},
//    "start": {"request": {"kind": "image", "prompt": "a cat", "aspect_ratio": "1:1"},
//              "credential": {"api_key": "test"}},
//    "exchanges": [
//      {"request": {"method": "POST", "url": "https://api.example.com/v1/jobs",
//                   "body_contains": "a cat"},
//       "response": {"status": 200, "headers": {"content-type": "application/json"},
//                    "body": "{\"id\":\"j1\"}"}},   (binary: "body": base64, "body_base64": true)
//      …],
//    "expect": {"action": "done"}}
//
// `wait` actions are answered at once with a "timer" event. With
// "cancel_after": N, the job is canceled once N exchanges have been answered:
// the plugin gets a "cancel" event instead of its next timer or response (its
// pending request is dropped, as the host drops it); later exchanges are the
// requests it makes to cancel upstream.
// Header-only.
#pragma once

#include <aigate/plugin.hpp>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace aigate::sdk {

struct ReplayResult {
  bool ok = false;          // every exchange matched and the ending was expected
  std::string problem;      // why not, when !ok
  json final_action;        // the plugin's last action
  std::vector<json> actions;  // every action, in order
};

namespace detail {

inline std::string replayMismatch(size_t index, const json& want, const json& got) {
  return "exchange " + std::to_string(index) + ": expected " + want.dump() + ", the plugin sent " +
         got.dump();
}

// Checks an HTTP action against an exchange's recorded request; "" when it matches.
inline std::string requestProblem(size_t index, const json& want, const json& action) {
  const json& got = action.value("request", json::object());
  for (const char* key : {"method", "url"}) {
    if (want.contains(key) && want[key] != got.value(key, json()))
      return replayMismatch(index, want, got);
  }
  if (want.contains("body_contains") &&
      got.value("body", std::string()).find(want["body_contains"].get<std::string>()) ==
          std::string::npos)
    return replayMismatch(index, want, got);
  if (want.contains("headers")) {
    const json& headers = got.value("headers", json::object());
    for (const auto& [name, value] : want["headers"].items())
      if (headers.value(name, json()) != value) return replayMismatch(index, want, got);
  }
  return {};
}

}  // namespace detail

// Drives `plugin` through `script`.
inline ReplayResult replay(Plugin& plugin, const json& script, size_t max_steps = 1000) {
  ReplayResult result;
  const json& exchanges = script.value("exchanges", json::array());
  size_t next = 0;
  json start = script.value("start", json::object());
  // Like the host, the credential comes with every event.
  const json credential = start.value("credential", json());
  json event = {{"event", "start"},
                {"job_id", "job_replay"},
                {"request", start.value("request", json::object())},
                {"state", nullptr}};
  const long cancel_after = script.value("cancel_after", -1L);
  bool canceled = false;
  // True (once) when the job is to be canceled instead of its next event.
  auto cancelNow = [&] {
    if (canceled || cancel_after < 0 || next < static_cast<size_t>(cancel_after)) return false;
    canceled = true;
    return true;
  };
  for (size_t steps = 0; steps < max_steps; ++steps) {
    event["credential"] = credential;
    json action;
    try {
      action = plugin.step(Event(event)).toJson();
    } catch (const std::exception& e) {
      action = Action::fail("plugin_error", e.what(), false).toJson();
    }
    result.actions.push_back(action);
    const std::string kind = action.value("action", std::string());
    const json state = action.value("state", json());
    if ((kind == "http" || kind == "wait") && cancelNow()) {
      event = {{"event", "cancel"}, {"state", state}};
      continue;
    }
    if (kind == "http") {
      if (next >= exchanges.size()) {
        result.problem = "the plugin sent a request after the last recorded exchange: " +
                         action["request"].dump();
        result.final_action = action;
        return result;
      }
      const json& exchange = exchanges[next];
      if (auto problem = detail::requestProblem(next, exchange.value("request", json::object()), action);
          !problem.empty()) {
        result.problem = problem;
        result.final_action = action;
        return result;
      }
      const json& response = exchange.value("response", json::object());
      if (response.contains("error")) {
        event = {{"event", "http_error"}, {"message", response["error"]}, {"state", state}};
      } else {
        event = {{"event", "http_response"},
                 {"status", response.value("status", 200)},
                 {"headers", response.value("headers", json::object())},
                 {"body", response.value("body", std::string())},
                 {"body_base64", response.value("body_base64", false)},
                 {"state", state}};
      }
      ++next;
      continue;
    }
    if (kind == "wait") {
      event = {{"event", "timer"}, {"state", state}};
      continue;
    }
    result.final_action = action;
    if (next != exchanges.size()) {
      result.problem = "the job ended (" + kind + ") with " + std::to_string(exchanges.size() - next) +
                       " recorded exchanges left";
      return result;
    }
    const json& expect = script.value("expect", json::object());
    for (const auto& [key, value] : expect.items()) {
      if (action.value(key, json()) != value) {
        result.problem = "the job ended with " + action.dump() + ", expected " + expect.dump();
        return result;
      }
    }
    result.ok = true;
    return result;
  }
  result.problem = "the plugin took more than " + std::to_string(max_steps) + " steps";
  return result;
}

// Replays a script file against a plugin of class T made with its "settings".
template <typename T>
ReplayResult replayFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return {false, "cannot read " + path, json(), {}};
  std::stringstream text;
  text << in.rdbuf();
  json script = json::parse(text.str(), nullptr, false);
  if (script.is_discarded()) return {false, path + " is not valid JSON", json(), {}};
  T plugin(script.value("settings", json::object()));
  return replay(plugin, script);
}

}  // namespace aigate::sdk
