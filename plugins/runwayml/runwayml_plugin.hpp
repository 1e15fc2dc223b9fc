// "runwayml": videos from Runway's API (https://api.dev.runwayml.com, API
// version 2024-11-06, as typed by @runwayml/sdk 4.20.1):
//
//   POST   /v1/text_to_video   {model, promptText, ratio, duration, seed?} → {id}
//   POST   /v1/image_to_video  {model, promptImage, promptText?, ratio, duration, seed?} → {id}
//   GET    /v1/tasks/{id}      → {id, status: PENDING | THROTTLED | RUNNING (progress) |
//                                 SUCCEEDED (output: [url]) | FAILED (failure, failureCode) |
//                                 CANCELLED}
//   DELETE /v1/tasks/{id}      cancels a running task (deletes a finished one)
//
// with "Authorization: Bearer <key>" and "X-Runway-Version". A request with
// an "image_url" goes to image_to_video, any other to text_to_video.
//
// A sans-I/O state machine: it says which request to send next and reads the
// answers. Its state (stored by the host) never holds the API key, which
// comes with every event.
#pragma once

#include <aigate/plugin.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "runway_models.hpp"
#include "runway_settings.hpp"

namespace aigate::plugins::runwayml {

using aigate::sdk::Action;
using aigate::sdk::Event;
using aigate::sdk::json;

class RunwayPlugin : public aigate::sdk::Plugin {
 public:
  // 429 answers waited out in a row before the job fails (retryable).
  static constexpr int kMaxRateLimitWaits = 5;
  static constexpr int kDefaultRetryAfterMs = 2000;
  static constexpr int kMaxRetryAfterMs = 60'000;

  static json describe() {
    json ids = json::array();
    for (const auto& m : models()) ids.push_back(m.id);
    return {{"name", "runwayml"},
            {"version", "1.0.0"},
            {"description",
             "Runway API (api.dev.runwayml.com, version 2024-11-06): text-to-video and "
             "image-to-video with Gen-4.5, Gen-4 Turbo (image only) and Veo 3.1."},
            {"kinds", {"video"}},
            {"models", ids},
            {"default_model", models().front().id},
            {"aspect_ratios", {"1:1", "9:16", "16:9", "4:5", "3:4", "4:3", "2:3", "3:2", "21:9"}},
            {"price", {{"video", 100}}},
            {"local", false},
            {"can_cancel", true}};
  }

  explicit RunwayPlugin(const json& settings) : settings_(Settings::fromJson(settings)) {}

  Action step(const Event& event) override {
    const std::string type = event.type();
    if (type == "start") return start(event);
    if (type == "cancel") return cancel(event);
    if (!event.state().is_object())
      return Action::fail("plugin_error", "runwayml: a \"" + type + "\" event without a state",
                          false);
    if (type == "timer") return onTimer(event);
    if (type == "http_response") return onResponse(event);
    if (type == "http_error") return onUnreachable(event);
    return Action::fail("plugin_error", "runwayml: unexpected event \"" + type + "\"", false);
  }

 private:
  static Action invalid(const std::string& message) {
    return Action::fail("invalid_request", "runwayml: " + message, false);
  }

  // --- requests ---------------------------------------------------------

  // Sends `method url body`, remembering it in the state (to resend it after
  // a 429) and adding the key of this event.
  Action send(const Event& event, json state, const std::string& method, const std::string& url,
              const std::string& body) const {
    const json& credential = event.credential();
    const std::string key = credential.is_object() && credential.contains("api_key") &&
                                    credential["api_key"].is_string()
                                ? credential["api_key"].get<std::string>()
                                : std::string();
    if (key.empty())
      return Action::fail("missing_credential", "runwayml: no Runway API key was configured",
                          false);
    json headers = {{"authorization", "Bearer " + key},
                    {"x-runway-version", settings_.api_version},
                    {"accept", "application/json"}};
    if (!body.empty()) headers["content-type"] = "application/json";
    state["sent"] = {{"method", method}, {"url", url}, {"body", body}};
    return Action::http(method, url, std::move(headers), body, std::move(state),
                        settings_.timeout_ms);
  }

  std::string taskUrl(const json& state) const {
    return settings_.base_url + "/v1/tasks/" + state.value("task_id", std::string());
  }

  Action start(const Event& event) {
    const json& request = event.request();
    if (!request.is_object()) return invalid("the start event has no request");
    const std::string kind = text(request, "kind", "video");
    if (kind != "video") return invalid("Runway makes videos here, not " + kind + "s");

    const std::string model_id = text(request, "model", models().front().id);
    const Model* model = findModel(model_id);
    if (!model)
      return invalid("unknown Runway model \"" + model_id + "\" (offered: " + list(false) + ")");

    const std::string image = text(request, "image_url", "");
    if (image.empty() && !model->hasTextToVideo())
      return invalid("Runway's " + model->id +
                     " has no text-to-video: it needs an image (image_url); for text alone use " +
                     list(true));

    const std::string prompt = text(request, "prompt", "");
    if (prompt.empty() && image.empty()) return invalid("text-to-video needs a prompt");
    if (const size_t units = utf16Units(prompt); units > kMaxPromptUnits)
      return invalid("the prompt is " + std::to_string(units) + " characters long; Runway's " +
                     model->id + " takes at most " + std::to_string(kMaxPromptUnits));

    const std::string aspect = text(request, "aspect_ratio", "16:9");
    const auto ratio =
        nearestRatio(aspect, image.empty() ? model->text_ratios : model->image_ratios);
    if (!ratio) return invalid("aspect_ratio \"" + aspect + "\" is not W:H");
    const auto size = parseRatio(*ratio);
    const int seconds = nearestSeconds(*model, settings_.duration_s);

    json body = {{"model", model->id}, {"ratio", *ratio}, {"duration", seconds}};
    if (!prompt.empty()) body["promptText"] = prompt;
    if (!image.empty()) body["promptImage"] = image;
    // Runway takes seeds in 0..2^32-1; ours go up to 2^53.
    if (const auto seed = request.find("seed"); seed != request.end() && seed->is_number_integer())
      body["seed"] = static_cast<uint64_t>(seed->get<int64_t>()) % (uint64_t{1} << 32);

    const std::string endpoint = image.empty() ? "text_to_video" : "image_to_video";
    json state = {{"phase", "submit"},    {"model", model->id},     {"endpoint", endpoint},
                  {"width", size->first}, {"height", size->second}, {"duration_s", seconds}};
    return send(event, std::move(state), "POST", settings_.base_url + "/v1/" + endpoint,
                body.dump());
  }

  // The string `key` of `object`, or `fallback` when absent or not a string.
  static std::string text(const json& object, const char* key, const std::string& fallback) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
  }

  // The offered models, or only those with text-to-video, for messages.
  static std::string list(bool text_only) {
    std::string out;
    for (const auto& m : models()) {
      if (text_only && !m.hasTextToVideo()) continue;
      out += (out.empty() ? "" : ", ") + m.id;
    }
    return out;
  }

  Action cancel(const Event& event) {
    json state = event.state();
    if (!state.is_object() || !state.contains("task_id"))
      return Action::fail("canceled", "canceled before Runway accepted the task", false);
    state["phase"] = "cancel";
    state.erase("resend");
    return send(event, state, "DELETE", taskUrl(state), "");
  }

  Action onTimer(const Event& event) {
    json state = event.state();
    if (auto it = state.find("resend"); it != state.end()) {
      const json sent = *it;
      state.erase("resend");
      return send(event, std::move(state), sent.value("method", std::string()),
                  sent.value("url", std::string()), sent.value("body", std::string()));
    }
    const std::string phase = state.value("phase", std::string());
    if (phase == "failed") {
      const json failure = state.value("failure", json::object());
      return Action::fail(failure.value("code", std::string("upstream_error")),
                          failure.value("message", std::string("Runway: the task failed")), true);
    }
    if (phase == "poll") {
      const std::string url = taskUrl(state);
      return send(event, std::move(state), "GET", url, "");
    }
    return Action::fail("plugin_error", "runwayml: a timer in phase \"" + phase + "\"", false);
  }

  // --- answers ------------------------------------------------------------

  Action onUnreachable(const Event& event) {
    json state = event.state();
    const std::string phase = state.value("phase", std::string());
    if (phase == "cancel")
      return Action::fail("canceled",
                          "canceled (Runway could not be told: " + event.message() + ")", false);
    if (phase == "abandon") return retryLater(std::move(state));
    return Action::fail("upstream_error", "Runway could not be reached: " + event.message(), true);
  }

  Action onResponse(const Event& event) {
    json state = event.state();
    const json sent = state.value("sent", json());
    state.erase("sent");
    const std::string phase = state.value("phase", std::string());
    const int status = event.status();
    if (phase == "cancel") {
      const bool ok = (status >= 200 && status < 300) || status == 404;
      return Action::fail(
          "canceled",
          ok ? "canceled; Runway task " + state.value("task_id", std::string()) + " was cancelled"
             : "canceled (Runway answered HTTP " + std::to_string(status) + " to the cancel)",
          false);
    }
    if (phase == "abandon") return retryLater(std::move(state));
    if (status == 429) return rateLimited(event, std::move(state), sent);
    state.erase("rate_limited");
    if (status >= 500)
      return Action::fail(
          "upstream_error",
          "Runway answered HTTP " + std::to_string(status) + ": " + errorText(event.body()), true);
    if (status >= 400) return refused(phase, status, state, event.body());
    const json body = json::parse(event.body(), nullptr, false);
    if (!body.is_object() || status < 200 || status >= 300)
      return Action::fail("upstream_error",
                          "Runway answered HTTP " + std::to_string(status) +
                              " with something that is not a JSON object",
                          true);
    if (phase == "submit") return onSubmitted(std::move(state), body);
    if (phase == "poll") return onTask(event, std::move(state), body);
    return Action::fail("plugin_error", "runwayml: an answer in phase \"" + phase + "\"", false);
  }

  // 429: wait as long as Retry-After says, then send the same request again.
  Action rateLimited(const Event& event, json state, const json& sent) {
    const int count = state.value("rate_limited", 0) + 1;
    if (count > kMaxRateLimitWaits || !sent.is_object())
      return Action::fail(
          "rate_limited",
          "Runway answered 429 Too Many Requests " + std::to_string(count) + " times in a row",
          true);
    state["rate_limited"] = count;
    state["resend"] = sent;
    return Action::wait(retryAfterMs(event.headers()), std::move(state));
  }

  // Retry-After in seconds, capped; the default when absent or a date.
  static int retryAfterMs(const json& headers) {
    if (!headers.is_object() || !headers.contains("retry-after") ||
        !headers["retry-after"].is_string())
      return kDefaultRetryAfterMs;
    const std::string text = headers["retry-after"].get<std::string>();
    char* end = nullptr;
    const double seconds = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(seconds >= 0)) return kDefaultRetryAfterMs;
    return static_cast<int>(std::min<double>(std::ceil(seconds * 1000), kMaxRetryAfterMs));
  }

  // A 4xx other than 429.
  static Action refused(const std::string& phase, int status, const json& state,
                        const std::string& body) {
    const std::string reason = errorText(body);
    if (status == 401 || status == 403)
      return Action::fail(
          "unauthorized",
          "Runway refused the API key (HTTP " + std::to_string(status) + "): " + reason, false);
    if (phase == "submit" && (status == 400 || status == 413 || status == 422))
      return Action::fail("invalid_request", "Runway refused the request: " + reason, false);
    if (phase == "poll" && status == 404)
      return Action::fail("upstream_error",
                          "Runway no longer knows task " + state.value("task_id", std::string()),
                          false);
    return Action::fail("upstream_error",
                        "Runway answered HTTP " + std::to_string(status) + ": " + reason, false);
  }

  // The reason in a Runway error body ({"error": "…", "issues": [{"message"}]}),
  // or the start of the body when it is not one.
  static std::string errorText(const std::string& body) {
    const json parsed = json::parse(body, nullptr, false);
    if (parsed.is_object() && parsed.contains("error")) {
      const json& error = parsed["error"];
      std::string text = error.is_string() ? error.get<std::string>() : error.dump();
      if (error.is_object() && error.contains("message") && error["message"].is_string())
        text = error["message"].get<std::string>();
      if (auto issues = parsed.find("issues"); issues != parsed.end() && issues->is_array()) {
        for (const auto& issue : *issues)
          if (issue.is_object() && issue.contains("message") && issue["message"].is_string())
            text += "; " + issue["message"].get<std::string>();
      }
      return text;
    }
    return body.size() > 300 ? body.substr(0, 300) + "…" : body;
  }

  Action onSubmitted(json state, const json& body) const {
    const json& id = body.contains("id") ? body["id"] : json();
    if (!id.is_string() || id.get<std::string>().empty())
      return Action::fail("upstream_error", "Runway accepted the task but gave no task id", true);
    state["task_id"] = id;
    state["phase"] = "poll";
    return Action::wait(settings_.poll_ms, std::move(state));
  }

  Action onTask(const Event& event, json state, const json& task) {
    const std::string status = task.contains("status") && task["status"].is_string()
                                   ? task["status"].get<std::string>()
                                   : "";
    const std::string id = state.value("task_id", std::string());
    if (status == "PENDING") return Action::wait(settings_.poll_ms, std::move(state));
    if (status == "RUNNING") {
      const json& progress = task.contains("progress") ? task["progress"] : json();
      if (!progress.is_number()) return Action::wait(settings_.poll_ms, std::move(state));
      return Action::wait(settings_.poll_ms, std::move(state)).withProgress(progress.get<double>());
    }
    if (status == "THROTTLED") {
      const int polls = state.value("throttled_polls", 0) + 1;
      state["throttled_polls"] = polls;
      if (int64_t{polls} * settings_.poll_ms <= settings_.throttle_timeout_ms)
        return Action::wait(settings_.poll_ms, std::move(state));
      // Give the task up upstream (it could still run and cost), then retry.
      state["phase"] = "abandon";
      state["failure"] = {{"code", "upstream_error"},
                          {"message", "Runway kept task " + id + " THROTTLED for more than " +
                                          std::to_string(settings_.throttle_timeout_ms / 1000) +
                                          " s (the account's concurrency limit)"}};
      return send(event, state, "DELETE", taskUrl(state), "");
    }
    if (status == "SUCCEEDED") return onSucceeded(state, task);
    if (status == "FAILED") return onFailed(std::move(state), task);
    if (status == "CANCELLED")
      return Action::fail("upstream_error",
                          "Runway task " + id + " was cancelled or deleted outside the gateway",
                          false);
    return Action::fail("upstream_error", "Runway answered a task without a known status", true);
  }

  static Action onSucceeded(const json& state, const json& task) {
    const json& output = task.contains("output") ? task["output"] : json();
    if (!output.is_array() || output.empty() || !output[0].is_string() ||
        output[0].get<std::string>().empty())
      return Action::fail("upstream_error", "Runway's task SUCCEEDED without an output URL", true);
    json usage = {{"provider_job_id", state.value("task_id", std::string())},
                  {"model", state.value("model", std::string())}};
    if (task.contains("cost") && task["cost"].is_object() && task["cost"].contains("credits") &&
        task["cost"]["credits"].is_number())
      usage["runway_credits"] = task["cost"]["credits"];
    return Action::done(json::array({{{"url", output[0]},
                                      {"mime", "video/mp4"},
                                      {"width", state.value("width", 0)},
                                      {"height", state.value("height", 0)},
                                      {"duration_s", state.value("duration_s", 0)}}}),
                        std::move(usage));
  }

  // FAILED: moderation and bad inputs are final; the rest is worth a retry.
  static Action onFailed(json state, const json& task) {
    const std::string code = task.contains("failureCode") && task["failureCode"].is_string()
                                 ? task["failureCode"].get<std::string>()
                                 : "";
    const std::string reason = task.contains("failure") && task["failure"].is_string()
                                   ? task["failure"].get<std::string>()
                                   : "the task failed";
    const std::string message = "Runway: " + reason + (code.empty() ? "" : " (" + code + ")");
    const auto startsWith = [&](const char* prefix) { return code.rfind(prefix, 0) == 0; };
    if (code.find("SAFETY") != std::string::npos)
      return Action::fail("content_policy", message, false);
    const bool internal = code.empty() || startsWith("INTERNAL") ||
                          (code.size() >= 9 && code.compare(code.size() - 9, 9, ".INTERNAL") == 0);
    if (!internal &&
        (startsWith("INPUT_PREPROCESSING") || startsWith("ASSET") || startsWith("INPUT")))
      return Action::fail("invalid_request", message, false);
    state["phase"] = "failed";
    state["failure"] = {{"code", "upstream_error"}, {"message", message}};
    return retryLater(std::move(state));
  }

  // Fails retryable after an immediate wait. A retryable fail right after a
  // poll would make the host resend that poll, which finds the same dead task;
  // after a wait, the host starts the job again (a new task) instead.
  static Action retryLater(json state) {
    state["phase"] = "failed";
    return Action::wait(0, std::move(state));
  }

  Settings settings_;
};

}  // namespace aigate::plugins::runwayml
