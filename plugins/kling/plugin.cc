// The kling plugin's one exported symbol.
#include "kling_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::kling::KlingPlugin, "kling")
