// Structured log lines: one event per line on stderr, as JSON (default) or as
// logfmt text (`key=value …`). The request log and job transitions use it.
//
// What goes in a line is exactly the fields a caller passes: never pass a
// header, a request body or a key. A line is built whole, then written with
// one call, so lines from many threads never interleave and a writer does not
// hold the stream for long.
//
// Threading: every function may be called from any thread.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace aigate::log {

enum class Format { kJson, kText };

// "json" or "text"; anything else is kJson (the config validates it).
Format formatFromName(std::string_view name);
void setFormat(Format format);

// Where lines go (each ends in '\n'); by default stderr. Returns the sink it
// replaces. For tests; an empty sink restores stderr.
using Sink = std::function<void(std::string_view line)>;
Sink setSink(Sink sink);

// Writes `fields` (scalars; objects and arrays are written as JSON) after
// "ts" (UTC, milliseconds) and "event".
void event(std::string_view name, const nlohmann::ordered_json& fields);

// event(), written at once with whatever this thread holds (a HoldLines):
// for lines that must be out when the caller goes on (a request's line is
// written before its reply is sent).
void eventNow(std::string_view name, const nlohmann::ordered_json& fields);

// While one lives on a thread, that thread's lines are kept and written
// together by flush() (or the destructor): one write for a store batch or an
// executor turn instead of one per line. Nests: the outermost one writes.
class HoldLines {
 public:
  HoldLines();
  ~HoldLines();
  HoldLines(const HoldLines&) = delete;
  HoldLines& operator=(const HoldLines&) = delete;
  void flush();

 private:
  bool outermost_;
};

}  // namespace aigate::log
