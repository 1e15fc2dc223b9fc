// Standard base64 (RFC 4648, with '=' padding), for inline job outputs.
#pragma once

#include <string>
#include <string_view>

namespace aigate::plugins::local {

std::string base64Encode(std::string_view bytes);

}  // namespace aigate::plugins::local
