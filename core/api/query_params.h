// Typed request parameters shared by several routes.
#pragma once

#include "core/api/http_types.h"

#include <cstdint>

namespace aigate::api {

// Reads the optional whole-number query parameter `name` into `out` (left as
// is when absent); a value outside [min, max] or not a number is a 400 naming
// the parameter.
Status intParam(const Request& req, const char* name, int64_t min, int64_t max, int64_t& out);

// OK when `value` is one of the API's nine aspect ratios; else a 400 naming
// the field aspect_ratio.
Status checkAspectRatio(const std::string& value);

}  // namespace aigate::api
