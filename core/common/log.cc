#include "core/common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace aigate::log {
namespace {

std::atomic<Format> g_format{Format::kJson};
std::mutex g_sink_mutex;
Sink g_sink;  // Guarded by g_sink_mutex; empty: stderr

std::string timestamp() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

// logfmt: bare when the value has no space, quote, '=' or control character.
void appendText(std::string& out, std::string_view key, const nlohmann::ordered_json& value) {
  if (!out.empty()) out += ' ';
  out += key;
  out += '=';
  if (value.is_null()) return;
  const std::string text =
      value.is_string() ? value.get<std::string>()
                        : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  bool bare = !text.empty();
  for (unsigned char ch : text)
    if (ch <= ' ' || ch == '"' || ch == '=' || ch == 0x7f) bare = false;
  if (bare) {
    out += text;
    return;
  }
  out += nlohmann::ordered_json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write(std::string_view line) {
  std::lock_guard lock(g_sink_mutex);
  if (g_sink) return g_sink(line);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

Format formatFromName(std::string_view name) { return name == "text" ? Format::kText : Format::kJson; }

void setFormat(Format format) { g_format = format; }

Sink setSink(Sink sink) {
  std::lock_guard lock(g_sink_mutex);
  std::swap(g_sink, sink);
  return sink;
}

void event(std::string_view name, const nlohmann::ordered_json& fields) {
  std::string line;
  if (g_format.load() == Format::kText) {
    appendText(line, "ts", timestamp());
    appendText(line, "event", std::string(name));
    for (const auto& [key, value] : fields.items()) appendText(line, key, value);
  } else {
    nlohmann::ordered_json all = {{"ts", timestamp()}, {"event", name}};
    for (const auto& [key, value] : fields.items()) all[key] = value;
    line = all.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  line += '\n';
  write(line);
}

}  // namespace aigate::log
