// "replicate": images and videos from Replicate's predictions API (HTTP API
// v1, as typed by the official `replicate` npm client 1.4.0), as a sans-I/O
// state machine (see README.md for the models and the mappings):
//
//   POST {base_url}/v1/models/{owner}/{name}/predictions  {input}           (an official model)
//   POST {base_url}/v1/predictions                        {version, input}  (a version id)
//       → 201 a Prediction {id, status: starting | processing | succeeded | failed |
//                           canceled | aborted, output, error, logs, metrics, urls}
//   GET  {base_url}/v1/predictions/{id}          → the Prediction, polled every poll_ms
//   POST {base_url}/v1/predictions/{id}/cancel   → the Prediction, canceled
// with "Authorization: Bearer <api token>". Errors are problem+json
// {"title", "detail", "status"} (422 adds "invalid_fields").
//
// The state (stored by the host) holds the phase, the prediction id and,
// until Replicate accepted it, the request body; never the credential.
#pragma once

#include <aigate/plugin.hpp>
#include <string>
#include <utility>

#include "replicate_support.hpp"

namespace aigate::plugins::replicate {

using sdk::Action;
using sdk::Event;

class ReplicatePlugin : public sdk::Plugin {
 public:
  static json describe() {
    json models = json::array();
    for (const auto& [name, profile] : knownModels()) models.push_back(name);
    return {{"name", "replicate"},
            {"version", "1.0.0"},
            {"description",
             "Replicate predictions API v1: any official model by owner/name or any model "
             "version by id (default FLUX.1 [schnell] images, Seedance 1 Lite videos)."},
            {"kinds", {"image", "video"}},
            {"models", models},
            {"default_model", kDefaultImageModel},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"image", 5}, {"video", 100}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit ReplicatePlugin(const json& settings) : s_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    if (type == "cancel") return cancel(event);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "replicate: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return onTimer(event);
    if (type == "http_error") return onHttpError(event);
    if (type == "http_response") return onResponse(event);
    return Action::fail("plugin_error", "replicate: unexpected event \"" + type + "\"", false);
  }

 private:
  static std::string apiKey(const Event& event) { return stringAt(event.credential(), "api_key"); }

  // --- the request --------------------------------------------------------

  Action start(const Event& event) const {
    const json& request = event.request();
    const std::string kind = stringAt(request, "kind");
    if (kind != "image" && kind != "video")
      return invalid("kind must be \"image\" or \"video\", got \"" + kind + "\"");
    if (apiKey(event).empty())
      return Action::fail("unauthorized", "replicate: no API token configured for this provider",
                          false);

    // The host fills describe()'s default_model into requests without one:
    // that (or nothing) means the operator's default for this kind.
    std::string model = stringAt(request, "model");
    const bool from_client = !model.empty() && model != kDefaultImageModel;
    if (!from_client) model = kind == "image" ? s_.image_model : s_.video_model;
    ModelRef ref;
    if (!parseModel(model, &ref))
      return invalid("\"" + model +
                     "\" is not a Replicate model (\"owner/name\", \"owner/name:<version>\" or a "
                     "64-hex version id)");
    const auto known = knownModels().find(ref.name);
    const ModelProfile* profile = known == knownModels().end() ? nullptr : &known->second;
    if (profile && profile->kind != kind)
      return invalid("\"" + ref.name + "\" makes " + profile->kind + "s, not " + kind + "s");

    const json& prompt = request.contains("prompt") ? request["prompt"] : json();
    if (!prompt.is_string() || prompt.get<std::string>().empty())
      return invalid("the prompt must be a non-empty string");
    json input = {{"prompt", prompt}};
    const std::string ours =
        request.contains("aspect_ratio") ? stringAt(request, "aspect_ratio") : std::string("1:1");
    const std::string ratio =
        nearestRatio(ours, profile ? profile->ratios : std::vector<std::string>{});
    if (ratio.empty()) return invalid("unsupported aspect ratio \"" + ours + "\"");
    if (!profile || !profile->ratios.empty()) input["aspect_ratio"] = ratio;
    if ((!profile || profile->seed) && request.contains("seed") &&
        request["seed"].is_number_integer())
      input["seed"] = request["seed"];

    json body = {{"input", std::move(input)}};
    std::string path;
    if (ref.version.empty()) {
      path = "/v1/models/" + ref.name + "/predictions";
    } else {
      path = "/v1/predictions";
      body["version"] = ref.version;
    }
    json state = {
        {"phase", "submit"}, {"kind", kind},        {"model", model}, {"from_client", from_client},
        {"path", path},      {"body", body.dump()}, {"throttled", 0}};
    return send(event, std::move(state));
  }

  // The request for the state's phase: the submission, a poll or the cancel.
  Action send(const Event& event, json state) const {
    json headers = {{"authorization", "Bearer " + apiKey(event)}, {"accept", "application/json"}};
    const std::string phase = stringAt(state, "phase");
    if (phase == "submit") {
      headers["content-type"] = "application/json";
      const std::string url = s_.base_url + stringAt(state, "path");
      const std::string body = stringAt(state, "body");
      return Action::http("POST", url, std::move(headers), body, std::move(state), s_.timeout_ms);
    }
    const std::string id = stringAt(state, "id");
    if (id.empty() || (phase != "poll" && phase != "cancel"))
      return Action::fail("plugin_error", "replicate: a state without a prediction to ask about",
                          false);
    const std::string url = s_.base_url + "/v1/predictions/" + id;
    if (phase == "cancel")
      return Action::http("POST", url + "/cancel", std::move(headers), "", std::move(state),
                          s_.timeout_ms);
    const double progress = state.value("progress", 0.1);
    return Action::http("GET", url, std::move(headers), "", std::move(state), s_.timeout_ms)
        .withProgress(progress);
  }

  Action cancel(const Event& event) const {
    json state = event.state();
    if (stringAt(state, "id").empty())
      return Action::fail("canceled",
                          "replicate: canceled before Replicate accepted the prediction", false);
    state["phase"] = "cancel";
    return send(event, std::move(state));
  }

  Action onTimer(const Event& event) const {
    const json& state = event.state();
    if (stringAt(state, "phase") == "failed") {
      // After a wait, a retryable fail makes the host start the job afresh.
      const json& failure = state.value("failure", json::object());
      return Action::fail("upstream_error", "replicate: " + stringAt(failure, "message"), true);
    }
    return send(event, state);
  }

  // --- the answers --------------------------------------------------------

  static Action onHttpError(const Event& event) {
    if (stringAt(event.state(), "phase") == "cancel") return canceled();
    return Action::fail("upstream_error", "replicate: no answer: " + event.message(), true);
  }

  Action onResponse(const Event& event) const {
    json state = event.state();
    const std::string phase = stringAt(state, "phase");
    if (phase == "cancel") return canceled();
    const int status = event.status();
    if (status == 429) {
      const json& before = state["throttled"];
      const int throttled = (before.is_number_integer() ? before.get<int>() : 0) + 1;
      if (throttled > kMaxThrottledResends)
        return Action::fail("rate_limited",
                            "replicate: still rate limited after " +
                                std::to_string(kMaxThrottledResends) +
                                " waits: " + errorMessage(event.body()),
                            true);
      state["throttled"] = throttled;
      return Action::wait(retryAfterMs(event.headers()), std::move(state));
    }
    state["throttled"] = 0;
    const std::string says =
        "Replicate answered HTTP " + std::to_string(status) + ": " + errorMessage(event.body());
    if (status >= 500 || status == 408) return Action::fail("upstream_error", says, true);
    if (status == 400 || status == 422) {
      const std::string reason = errorMessage(event.body());
      return Action::fail(isContentPolicy(reason) ? "content_policy" : "invalid_request",
                          "replicate: " + reason, false);
    }
    if (status == 401 || status == 403)
      return Action::fail("unauthorized", "replicate refused the API token: " + says, false);
    if (status == 404 && phase == "submit" && state.value("from_client", false))
      return invalid("Replicate has no model \"" + stringAt(state, "model") + "\"");
    if (status == 404 && phase == "poll")
      return retryLater(std::move(state), "the prediction vanished: " + says);
    if (status < 200 || status >= 300) return Action::fail("upstream_error", says, false);

    const json prediction = json::parse(event.body(), nullptr, false);
    if (!prediction.is_object() || stringAt(prediction, "status").empty())
      return malformed("a prediction without a status");
    if (phase == "submit") {
      const std::string id = stringAt(prediction, "id");
      if (id.empty()) return malformed("a prediction without an id");
      state["id"] = id;
      state["phase"] = "poll";
      state.erase("body");
      state.erase("path");
    }
    return onPrediction(prediction, std::move(state));
  }

  Action onPrediction(const json& prediction, json state) const {
    const std::string status = stringAt(prediction, "status");
    if (status == "succeeded") return onSucceeded(prediction, std::move(state));
    if (status == "failed") {
      const std::string reason = predictionError(prediction);
      if (isContentPolicy(reason))
        return Action::fail("content_policy", "replicate: " + reason, false);
      // Polling a failed prediction again cannot help; a new one may.
      return retryLater(std::move(state), reason);
    }
    if (status == "canceled" || status == "aborted")
      return Action::fail("upstream_error",
                          "replicate: the prediction was " + status + " at Replicate", false);
    double progress = 0.1;
    if (status == "processing") {
      const double logged = logProgress(stringAt(prediction, "logs"));
      progress = logged < 0 ? 0.5 : 0.2 + 0.7 * logged;
    }
    state["progress"] = progress;
    return Action::wait(s_.poll_ms, std::move(state)).withProgress(progress);
  }

  static Action onSucceeded(const json& prediction, json state) {
    const std::string kind = stringAt(state, "kind");
    const std::string file = firstOutput(prediction.value("output", json()));
    if (file.empty()) return retryLater(std::move(state), "a succeeded prediction without output");
    json output;
    if (file.rfind("data:", 0) == 0) {
      // data:<mime>;base64,<bytes>, which Replicate sends only to waiting clients.
      const auto comma = file.find(',');
      const std::string meta = file.substr(5, comma == std::string::npos ? 0 : comma - 5);
      const auto semicolon = meta.find(';');
      if (comma == std::string::npos || semicolon == std::string::npos ||
          meta.substr(semicolon) != ";base64")
        return malformed("an output data URI that is not base64");
      output = {{"data_base64", file.substr(comma + 1)}, {"mime", meta.substr(0, semicolon)}};
    } else {
      output = {{"url", file}, {"mime", mimeOf(kind, file)}};
    }
    json usage = {{"provider_job_id", state["id"]}, {"model", state["model"]}};
    const json& metrics = prediction.value("metrics", json::object());
    if (metrics.is_object() && metrics.contains("predict_time") &&
        metrics["predict_time"].is_number())
      usage["predict_time_s"] = metrics["predict_time"];
    return Action::done(json::array({std::move(output)}), std::move(usage));
  }

  // Fails retryable after an immediate wait: a retryable fail right after a
  // poll would make the host resend that poll, which finds the same dead
  // prediction; after a wait, the host starts the job again instead.
  static Action retryLater(json state, const std::string& message) {
    state["phase"] = "failed";
    state["failure"] = {{"message", message}};
    return Action::wait(0, std::move(state));
  }

  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "replicate: " + message, false);
  }
  static Action malformed(const std::string& what) {
    return Action::fail("upstream_error", "replicate answered " + what, true);
  }
  static Action canceled() {
    return Action::fail("canceled", "replicate: canceled; the prediction was canceled at Replicate",
                        false);
  }

  Settings s_;
};

}  // namespace aigate::plugins::replicate
