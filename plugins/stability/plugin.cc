// The stability plugin's one exported symbol.
#include "stability_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::stability::StabilityPlugin, "stability")
