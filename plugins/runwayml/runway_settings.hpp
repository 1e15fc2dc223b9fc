// The runwayml plugin's settings (the operator's per-provider config, never a
// secret), validated once when an instance is made: a bad or unknown setting
// throws std::invalid_argument naming it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace aigate::plugins::runwayml {

struct Settings {
  // Where the API lives: Runway's, or a proxy / fake in front of it.
  std::string base_url = "https://api.dev.runwayml.com";
  // Sent as X-Runway-Version on every request.
  std::string api_version = "2024-11-06";
  // Between two polls of a task; Runway asks for no more than one every 5 s.
  int poll_ms = 5000;
  // Of each HTTP request.
  int timeout_ms = 30'000;
  // The video length asked for, moved to the nearest one the model allows.
  int duration_s = 5;
  // How long a task may stay THROTTLED (queued behind the organisation's
  // concurrency limit) before it is cancelled and the job retried.
  int throttle_timeout_ms = 600'000;

  static Settings fromJson(const nlohmann::json& settings) {
    Settings out;
    if (settings.is_null()) return out;
    if (!settings.is_object())
      throw std::invalid_argument("runwayml: settings must be a JSON object, got " +
                                  settings.dump());
    for (const auto& [key, value] : settings.items()) {
      if (key == "base_url") {
        out.base_url = readUrl(value);
      } else if (key == "api_version") {
        out.api_version = readVersion(value);
      } else if (key == "poll_ms") {
        out.poll_ms = readInt(key, value, 1, 600'000);
      } else if (key == "timeout_ms") {
        out.timeout_ms = readInt(key, value, 1, 600'000);
      } else if (key == "duration_s") {
        out.duration_s = readInt(key, value, 1, 60);
      } else if (key == "throttle_timeout_ms") {
        out.throttle_timeout_ms = readInt(key, value, 0, 86'400'000);
      } else {
        throw std::invalid_argument("runwayml: unknown setting \"" + key +
                                    "\" (known: base_url, api_version, poll_ms, timeout_ms, "
                                    "duration_s, throttle_timeout_ms)");
      }
    }
    return out;
  }

 private:
  static int readInt(const std::string& key, const nlohmann::json& value, int64_t lo, int64_t hi) {
    if (!value.is_number_integer() || value.get<int64_t>() < lo || value.get<int64_t>() > hi)
      throw std::invalid_argument("runwayml: setting \"" + key + "\" must be a whole number in " +
                                  std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                                  value.dump());
    return static_cast<int>(value.get<int64_t>());
  }

  static std::string readUrl(const nlohmann::json& value) {
    std::string url = value.is_string() ? value.get<std::string>() : std::string();
    while (!url.empty() && url.back() == '/') url.pop_back();
    const bool http = url.rfind("http://", 0) == 0 && url.size() > 7;
    const bool https = url.rfind("https://", 0) == 0 && url.size() > 8;
    if (!http && !https)
      throw std::invalid_argument(
          "runwayml: setting \"base_url\" must be an http:// or https:// URL, got " + value.dump());
    return url;
  }

  static std::string readVersion(const nlohmann::json& value) {
    const std::string version = value.is_string() ? value.get<std::string>() : std::string();
    bool ok = !version.empty();
    for (char c : version) ok = ok && ((c >= '0' && c <= '9') || c == '-');
    if (!ok)
      throw std::invalid_argument(
          "runwayml: setting \"api_version\" must be a date like \"2024-11-06\", got " +
          value.dump());
    return version;
  }
};

}  // namespace aigate::plugins::runwayml
