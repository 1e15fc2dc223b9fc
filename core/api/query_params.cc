#include "core/api/query_params.h"

#include "core/library/media_probe.h"

#include <algorithm>

#include <cerrno>
#include <cstdlib>

namespace aigate::api {

Status intParam(const Request& req, const char* name, int64_t min, int64_t max, int64_t& out) {
  const std::string* text = req.queryParam(name);
  if (!text) return Status::Ok();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno != 0 || v < min || v > max)
    return Error::invalidField(name, std::string(name) + " must be a whole number from " +
                                         std::to_string(min) + " to " + std::to_string(max) + ".");
  out = v;
  return Status::Ok();
}

Status checkAspectRatio(const std::string& value) {
  const auto& all = library::aspectRatios();
  if (std::find(all.begin(), all.end(), value) != all.end()) return Status::Ok();
  return Error::invalidField("aspect_ratio",
                             "aspect_ratio must be one of 1:1, 9:16, 16:9, 4:5, 3:4, 4:3, 2:3, 3:2, "
                             "21:9.");
}

}  // namespace aigate::api
