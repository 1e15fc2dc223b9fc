#include <aigate/replay.hpp>

#include <cstdio>

#include "my_provider.hpp"

int main(int argc, char** argv) {
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    const auto result = aigate::sdk::replayFile<my_provider::MyProvider>(argv[i]);
    std::printf("%s %s %s\n", result.ok ? "ok  " : "FAIL", argv[i], result.problem.c_str());
    failed += result.ok ? 0 : 1;
  }
  std::printf("%d passed, %d failed\n", argc - 1 - failed, failed);
  return failed == 0 ? 0 : 1;
}
