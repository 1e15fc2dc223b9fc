// PNG encoding in memory (libpng).
#pragma once

#include <string>

#include "canvas.h"

namespace aigate::plugins::local {

// The bytes of an 8-bit RGB PNG of `canvas`. Throws std::runtime_error if
// libpng fails.
std::string encodePng(const Canvas& canvas);

}  // namespace aigate::plugins::local
