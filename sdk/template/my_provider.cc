#include "my_provider.hpp"

AIGATE_PLUGIN(my_provider::MyProvider, "my_provider")
