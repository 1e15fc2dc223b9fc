// The `aigate` command line: serve, admin user/credits/key.
#pragma once

namespace aigate::cli {

// Runs the command line; returns the process exit code (0 ok, 1 failure,
// 2 usage error).
int run(int argc, char** argv);

}  // namespace aigate::cli
