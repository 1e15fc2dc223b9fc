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

// The lines a HoldLines on this thread keeps (t_holding: there is one).
thread_local bool t_holding = false;
thread_local std::string t_held;

// Writes whole lines: one write for them all to stderr; line by line to a sink.
void write(std::string_view lines) {
  std::lock_guard lock(g_sink_mutex);
  if (!g_sink) {
    std::fwrite(lines.data(), 1, lines.size(), stderr);
    return;
  }
  while (!lines.empty()) {
    const size_t end = lines.find('\n');
    const size_t n = end == std::string_view::npos ? lines.size() : end + 1;
    g_sink(lines.substr(0, n));
    lines.remove_prefix(n);
  }
}

}  // namespace

Format formatFromName(std::string_view name) { return name == "text" ? Format::kText : Format::kJson; }

void setFormat(Format format) { g_format = format; }

Sink setSink(Sink sink) {
  std::lock_guard lock(g_sink_mutex);
  std::swap(g_sink, sink);
  return sink;
}

namespace {

std::string formatLine(std::string_view name, const nlohmann::ordered_json& fields) {
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
  return line;
}

}  // namespace

void event(std::string_view name, const nlohmann::ordered_json& fields) {
  std::string line = formatLine(name, fields);
  if (t_holding) {
    t_held += line;
    return;
  }
  write(line);
}

void eventNow(std::string_view name, const nlohmann::ordered_json& fields) {
  std::string line = formatLine(name, fields);
  if (t_holding && !t_held.empty()) {
    t_held += line;
    write(t_held);
    t_held.clear();
    return;
  }
  write(line);
}

HoldLines::HoldLines() : outermost_(!t_holding) { t_holding = true; }

HoldLines::~HoldLines() {
  if (!outermost_) return;
  flush();
  t_holding = false;
}

void HoldLines::flush() {
  if (!outermost_ || t_held.empty()) return;
  write(t_held);
  t_held.clear();
}

}  // namespace aigate::log
