// Wall-clock helpers for timestamps stored and answered in UTC.
#pragma once

#include <cstdint>
#include <string>

namespace aigate {

int64_t unixSeconds();
// RFC 3339 UTC with second precision: "2026-11-26T04:00:00Z".
std::string isoTime(int64_t unix_seconds);
inline std::string isoNow() { return isoTime(unixSeconds()); }
// An HTTP date (RFC 9110 IMF-fixdate): "Thu, 26 Nov 2026 04:00:00 GMT".
std::string httpDate(int64_t unix_seconds);

}  // namespace aigate
