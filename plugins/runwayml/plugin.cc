// The runwayml plugin's one exported symbol.
#include "runwayml_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::runwayml::RunwayPlugin, "runwayml")
