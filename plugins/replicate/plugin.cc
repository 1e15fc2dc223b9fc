// The replicate plugin's one exported symbol.
#include "replicate_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::replicate::ReplicatePlugin, "replicate")
