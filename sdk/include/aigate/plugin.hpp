// The C++ side of the plugin SDK: write a provider plugin as an ordinary C++
// class over nlohmann::json; AIGATE_PLUGIN() turns it into the C ABI of
// plugin_abi.h, catching every exception at the boundary.
//
//   class MyPlugin : public aigate::sdk::Plugin {
//    public:
//     static aigate::sdk::json describe() { return {{"name", "my_plugin"}, …}; }
//     explicit MyPlugin(const aigate::sdk::json& settings);
//     aigate::sdk::Action step(const aigate::sdk::Event& event) override;
//   };
//   AIGATE_PLUGIN(MyPlugin, "my_plugin")
//
// Header-only; needs nlohmann/json (3.11).
#pragma once

#include <aigate/plugin_abi.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <utility>

namespace aigate::sdk {

using json = nlohmann::json;

// An event from the host (see step() in plugin_abi.h).
class Event {
 public:
  explicit Event(json body) : body_(std::move(body)) {}

  // "start", "http_response", "http_error", "timer" or "cancel".
  std::string type() const { return body_.value("event", std::string()); }
  // The state of the plugin's previous action (null on "start").
  const json& state() const { return field("state"); }
  // "start": the normalized request (kind, prompt, aspect_ratio, model, seed…).
  const json& request() const { return field("request"); }
  // The credential to use ({"api_key": …}), or null; on every event. Never
  // copy it into the state: the host stores the state.
  const json& credential() const { return field("credential"); }
  // "http_response": status code, headers (lowercase names) and body text.
  int status() const { return body_.value("status", 0); }
  const json& headers() const { return field("headers"); }
  std::string body() const { return body_.value("body", std::string()); }
  // "http_error": why no response came.
  std::string message() const { return body_.value("message", std::string()); }
  const json& raw() const { return body_; }

 private:
  const json& field(const char* name) const {
    static const json kNull;
    auto it = body_.find(name);
    return it == body_.end() ? kNull : *it;
  }
  json body_;
};

// What the plugin asks the host to do next.
class Action {
 public:
  // Send an HTTP request; its response comes back as "http_response".
  static Action http(std::string method, std::string url, json headers, std::string body,
                     json state, int timeout_ms = 60'000) {
    return Action({{"action", "http"},
                   {"request",
                    {{"method", std::move(method)},
                     {"url", std::move(url)},
                     {"headers", std::move(headers)},
                     {"body", std::move(body)},
                     {"timeout_ms", timeout_ms}}},
                   {"state", std::move(state)}});
  }
  // Come back with a "timer" event after `ms` milliseconds.
  static Action wait(int ms, json state) {
    return Action({{"action", "wait"}, {"ms", ms}, {"state", std::move(state)}});
  }
  // The job is done; `outputs` is a list of {"url"} or {"data_base64"} objects
  // with "mime" and, when known, "width", "height", "duration_s".
  static Action done(json outputs, json usage = json::object(), json state = nullptr) {
    return Action({{"action", "done"},
                   {"outputs", std::move(outputs)},
                   {"usage", std::move(usage)},
                   {"state", std::move(state)}});
  }
  // The job failed; `retryable` says whether trying again may succeed.
  static Action fail(std::string code, std::string message, bool retryable) {
    return Action({{"action", "fail"},
                   {"code", std::move(code)},
                   {"message", std::move(message)},
                   {"retryable", retryable}});
  }

  // How far the job is, 0..1 (shown to clients as the job's progress):
  // `return Action::wait(5000, state).withProgress(0.4);`
  Action withProgress(double fraction) && {
    body_["progress"] = fraction < 0 ? 0.0 : fraction > 1 ? 1.0 : fraction;
    return std::move(*this);
  }

  const json& toJson() const { return body_; }

 private:
  explicit Action(json body) : body_(std::move(body)) {}
  json body_;
};

// Base of a C++ plugin. One instance serves one configured provider; the
// host calls step() from one thread at a time.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual Action step(const Event& event) = 0;
};

namespace detail {

inline aigate_buf copyOut(const std::string& text) {
  aigate_buf buf{static_cast<char*>(std::malloc(text.size() + 1)), text.size()};
  if (!buf.data) return {nullptr, 0};
  std::memcpy(buf.data, text.data(), text.size());
  buf.data[text.size()] = '\0';
  return buf;
}

inline std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

inline void freeBuf(aigate_buf buf) { std::free(buf.data); }

template <typename T>
aigate_buf describe() {
  try {
    return copyOut(dump(T::describe()));
  } catch (const std::exception& e) {
    return copyOut(dump(json{{"error", e.what()}}));
  }
}

template <typename T>
void* create(aigate_str settings, aigate_buf* error) {
  try {
    json parsed = settings.size ? json::parse(settings.data, settings.data + settings.size)
                                : json::object();
    return new T(parsed);
  } catch (const std::exception& e) {
    if (error) *error = copyOut(e.what());
  } catch (...) {
    if (error) *error = copyOut("unknown error creating the plugin");
  }
  return nullptr;
}

template <typename T>
aigate_buf step(void* instance, aigate_str event) {
  try {
    Event e(json::parse(event.data, event.data + event.size));
    return copyOut(dump(static_cast<T*>(instance)->step(e).toJson()));
  } catch (const std::exception& e) {
    return copyOut(dump(Action::fail("plugin_error", e.what(), false).toJson()));
  } catch (...) {
    return copyOut(dump(Action::fail("plugin_error", "unknown exception", false).toJson()));
  }
}

template <typename T>
void destroy(void* instance) {
  delete static_cast<T*>(instance);
}

template <typename T>
const aigate_plugin_v1* table(const char* name, size_t name_size) {
  static const aigate_plugin_v1 kTable = {
      AIGATE_PLUGIN_ABI_VERSION, sizeof(aigate_plugin_v1), {name, name_size},
      &describe<T>,              &create<T>,               &step<T>,
      &freeBuf,                  &destroy<T>};
  return &kTable;
}

}  // namespace detail
}  // namespace aigate::sdk

// Exports the entry point of plugin class T under the name NAME (a string
// literal, equal to the "name" of T::describe()).
#define AIGATE_PLUGIN(T, NAME)                                                   \
  extern "C" AIGATE_PLUGIN_EXPORT const aigate_plugin_v1* aigate_plugin_entry(void) { \
    return ::aigate::sdk::detail::table<T>(NAME, sizeof(NAME) - 1);              \
  }
