// aigate: the gateway binary. Everything it does is a subcommand (core/cli).
#include "core/cli/cli.h"

int main(int argc, char** argv) { return aigate::cli::run(argc, argv); }
