// The minimax plugin's one exported symbol.
#include "minimax_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::minimax::MinimaxPlugin, "minimax")
