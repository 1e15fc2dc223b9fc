// The bfl plugin's one exported symbol.
#include "bfl_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::bfl::BflPlugin, "bfl")
