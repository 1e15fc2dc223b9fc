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

}  // namespace aigate::log
