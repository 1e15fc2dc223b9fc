// The pika plugin's one exported symbol.
#include "pika_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::pika::PikaPlugin, "pika")
