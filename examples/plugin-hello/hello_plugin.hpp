// "hello": an example provider plugin for a small asynchronous media API.
//
// The API it speaks (a stand-in for a real provider):
//   POST {base_url}/v1/images  {"prompt", "kind", "aspect_ratio"} → {"id", "status"}
//   GET  {base_url}/v1/images/{id}                          → {"status": "queued" |
//        "running" | "succeeded" | "failed", "url", "mime", "width", "height", "error"}
//   DELETE {base_url}/v1/images/{id}                        → cancels
// with "Authorization: Bearer <api key>".
//
// The plugin is a sans-I/O state machine: it only says which request to send
// next; the gateway sends it and hands back the response.
#pragma once

#include <aigate/plugin.hpp>

#include <string>

namespace hello {

using aigate::sdk::Action;
using aigate::sdk::Event;
using aigate::sdk::json;

class HelloPlugin : public aigate::sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "hello"},
            {"version", "1.0.0"},
            {"description", "Example plugin for the hello image API (examples/plugin-hello)."},
            {"kinds", {"image", "video"}},
            {"models", {"hello-1"}},
            {"default_model", "hello-1"},
            {"aspect_ratios", {"1:1", "16:9", "9:16"}},
            {"price", {{"image", 10}, {"video", 100}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit HelloPlugin(const json& settings)
      : base_url_(settings.value("base_url", std::string("https://api.hello.example"))),
        poll_ms_(settings.value("poll_ms", 2000)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return submit(event);
    if (type == "timer") return poll(event);
    if (type == "cancel") return cancel(event);
    if (type == "http_error")
      return Action::fail("upstream_unreachable", event.message(), /*retryable=*/true);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "unexpected event " + type, false);
  }

 private:
  // The key comes with every event; it is never kept in the state, which the
  // gateway stores.
  static json headers(const Event& event) {
    const json& credential = event.credential();
    const std::string key =
        credential.is_object() ? credential.value("api_key", std::string()) : std::string();
    return {{"authorization", "Bearer " + key}, {"content-type", "application/json"}};
  }

  Action submit(const Event& event) {
    const json& request = event.request();
    json state = {{"phase", "submit"}};
    json body = {{"prompt", request.value("prompt", std::string())},
                 {"kind", request.value("kind", std::string("image"))},
                 {"aspect_ratio", request.value("aspect_ratio", std::string("1:1"))}};
    return Action::http("POST", base_url_ + "/v1/images", headers(event), body.dump(), state);
  }

  Action poll(const Event& event) {
    json state = event.state();
    state["phase"] = "poll";
    return Action::http("GET", base_url_ + "/v1/images/" + state.value("id", std::string()),
                        headers(event), "", state);
  }

  Action cancel(const Event& event) {
    json state = event.state();
    if (!state.is_object() || !state.contains("id"))
      return Action::fail("canceled", "canceled before submission", false);
    state["phase"] = "cancel";
    return Action::http("DELETE", base_url_ + "/v1/images/" + state.value("id", std::string()),
                        headers(event), "", state);
  }

  Action onResponse(const Event& event) {
    json state = event.state();
    const int status = event.status();
    const std::string phase = state.value("phase", std::string());
    if (phase == "cancel") return Action::fail("canceled", "canceled upstream", false);
    if (status == 429 || status >= 500)
      return Action::fail("upstream_error", "hello answered HTTP " + std::to_string(status), true);
    if (status >= 400)
      return Action::fail("invalid_request", "hello refused the request: HTTP " +
                                                 std::to_string(status) + " " + event.body(),
                          false);
    const json body = json::parse(event.body(), nullptr, false);
    if (!body.is_object())
      return Action::fail("upstream_error", "hello answered something that is not JSON", true);
    if (phase == "submit") {
      if (!body.contains("id") || !body["id"].is_string())
        return Action::fail("upstream_error", "hello gave no job id", true);
      state["id"] = body["id"];
      return Action::wait(poll_ms_, state);
    }
    const std::string job_status = body.value("status", std::string());
    if (job_status == "succeeded") {
      return Action::done(json::array({{{"url", body.value("url", std::string())},
                                        {"mime", body.value("mime", std::string("image/png"))},
                                        {"width", body.value("width", 0)},
                                        {"height", body.value("height", 0)}}}),
                          {{"provider_job_id", state["id"]}});
    }
    if (job_status == "failed") {
      const std::string error = body.value("error", std::string("unknown"));
      const bool policy = error == "content_policy";
      return Action::fail(policy ? "content_policy" : "upstream_error", "hello: " + error, !policy);
    }
    return Action::wait(poll_ms_, state);
  }

  std::string base_url_;
  int poll_ms_;
};

}  // namespace hello
