// my_provider: one request, one image. Replace the URL, the body and the
// parsing with your provider's API; keep the plugin free of I/O.
#pragma once

#include <aigate/plugin.hpp>

namespace my_provider {

using aigate::sdk::Action;
using aigate::sdk::Event;
using aigate::sdk::json;

class MyProvider : public aigate::sdk::Plugin {
 public:
  static json describe() {
    return {{"name", "my_provider"},  // must equal the name given to AIGATE_PLUGIN
            {"version", "0.1.0"},
            {"kinds", {"image"}},
            {"models", {"my-model"}},
            {"price", {{"image", 10}}}};
  }

  explicit MyProvider(const json& settings)
      : base_url_(settings.value("base_url", std::string("https://api.example.com"))) {}

  Action step(const Event& event) override {
    if (event.type() == "start") {
      const json body = {{"prompt", event.request().value("prompt", std::string())}};
      const json headers = {{"authorization",
                             "Bearer " + event.credential().value("api_key", std::string())},
                            {"content-type", "application/json"}};
      return Action::http("POST", base_url_ + "/generate", headers, body.dump(), nullptr);
    }
    if (event.type() == "http_response") {
      if (event.status() >= 500) return Action::fail("upstream_error", event.body(), true);
      if (event.status() >= 400) return Action::fail("invalid_request", event.body(), false);
      const json body = json::parse(event.body(), nullptr, false);
      if (!body.is_object() || !body.contains("url"))
        return Action::fail("upstream_error", "no image URL in the answer", true);
      return Action::done(json::array({{{"url", body["url"]}, {"mime", "image/png"}}}));
    }
    if (event.type() == "http_error") return Action::fail("upstream_unreachable", event.message(), true);
    return Action::fail("canceled", "canceled", false);
  }

 private:
  std::string base_url_;
};

}  // namespace my_provider
