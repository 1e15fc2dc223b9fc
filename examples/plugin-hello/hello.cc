// The plugin's one exported symbol.
#include "hello_plugin.hpp"

AIGATE_PLUGIN(hello::HelloPlugin, "hello")
