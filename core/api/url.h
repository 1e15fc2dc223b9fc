// Percent-decoding for paths and query strings.
#pragma once

#include <string>
#include <string_view>

namespace aigate::api {

// Decodes %XX escapes (and '+' as space when `plus_is_space`); a malformed
// escape is kept as written.
std::string urlDecode(std::string_view text, bool plus_is_space);

}  // namespace aigate::api
