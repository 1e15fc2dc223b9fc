// Wall-clock helpers for timestamps stored and answered in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace aigate {

int64_t unixSeconds();
// RFC 3339 UTC with second precision: "2026-11-26T04:00:00Z".
std::string isoTime(int64_t unix_seconds);
inline std::string isoNow() { return isoTime(unixSeconds()); }

}  // namespace aigate
