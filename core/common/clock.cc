#include "core/common/clock.h"

#include <chrono>
#include <ctime>

namespace aigate {

int64_t unixSeconds() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

std::string formatUtc(int64_t unix_seconds, const char* format) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string isoTime(int64_t unix_seconds) { return formatUtc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ"); }

std::string httpDate(int64_t unix_seconds) {
  return formatUtc(unix_seconds, "%a, %d %b %Y %H:%M:%S GMT");
}

}  // namespace aigate
