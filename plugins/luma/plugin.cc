// The luma plugin's one exported symbol.
#include "luma_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::luma::LumaPlugin, "luma")
