// The plugin's one exported symbol.
#include "openai_images_plugin.hpp"

AIGATE_PLUGIN(aigate::plugins::openai_images::OpenAiImagesPlugin, "openai_images")
