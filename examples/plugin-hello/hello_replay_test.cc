// Replays recorded exchanges against the plugin: no network, no gateway.
// usage: hello_replay_test SCRIPT.json…  (exit 0 when every script passes)
#include <aigate/replay.hpp>

#include <cstdio>

#include "hello_plugin.hpp"

int main(int argc, char** argv) {
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    const auto result = aigate::sdk::replayFile<hello::HelloPlugin>(argv[i]);
    std::printf("%s %s%s%s\n", result.ok ? "ok  " : "FAIL", argv[i], result.ok ? "" : ": ",
                result.problem.c_str());
    if (!result.ok) ++failed;
  }
  std::printf("%d passed, %d failed\n", argc - 1 - failed, failed);
  return failed == 0 ? 0 : 1;
}
