// A real `aigate serve` process for tests that need one (signals, kill -9,
// restarts): started on a free port, stdout and stderr to files.
// It uses no Catch2 macros; start() reports failure by its return value.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

namespace aigate::testing {

class GatewayProcess {
 public:
  // `binary` serve --listen 127.0.0.1:0 `args`…, with `env` set in the child.
  GatewayProcess(std::string binary, std::vector<std::string> args, std::string log_path,
                 std::vector<std::pair<std::string, std::string>> env = {});
  ~GatewayProcess();  // kill -9 if still running
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  // Starts it and waits (up to 10 s) until it prints its address; false if it
  // did not (see output()).
  bool start();
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + port_ + path; }
  const std::string& port() const { return port_; }

  void kill9();
  // Sends `signo` (SIGHUP…) to the running process.
  void signal(int signo);
  // SIGTERM and wait; returns the exit code (-1 when it did not exit normally).
  int stop();
  // What it printed so far (stdout, then stderr).
  std::string output() const;

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_;
  std::vector<std::pair<std::string, std::string>> env_;
  pid_t pid_ = -1;
  std::string port_;
};

}  // namespace aigate::testing
