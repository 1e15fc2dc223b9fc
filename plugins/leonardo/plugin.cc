// The leonardo plugin's one exported symbol.
#include "leonardo_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::leonardo::LeonardoPlugin, "leonardo")
