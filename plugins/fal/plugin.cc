// The fal plugin's one exported symbol.
#include "fal_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::fal::FalPlugin, "fal")
