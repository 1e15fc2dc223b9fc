// The ideogram plugin's one exported symbol.
#include "ideogram_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::ideogram::IdeogramPlugin, "ideogram")
