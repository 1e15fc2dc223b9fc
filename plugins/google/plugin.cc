// The google plugin's one exported symbol.
#include "google_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::google::GooglePlugin, "google")
