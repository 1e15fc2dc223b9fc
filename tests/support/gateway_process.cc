#include "tests/support/gateway_process.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace aigate::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

GatewayProcess::GatewayProcess(std::string binary, std::vector<std::string> args,
                               std::string log_path,
                               std::vector<std::pair<std::string, std::string>> env)
    : binary_(std::move(binary)), args_(std::move(args)), log_(std::move(log_path)), env_(std::move(env)) {}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) kill9();
}

bool GatewayProcess::start() {
  std::vector<std::string> argv = {binary_, "serve", "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    if (!std::freopen(log_.c_str(), "w", stdout)) _exit(126);
    if (!std::freopen((log_ + ".err").c_str(), "w", stderr)) _exit(126);
    for (const auto& [name, value] : env_) ::setenv(name.c_str(), value.c_str(), 1);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(binary_.c_str(), raw.data());
    _exit(127);
  }
  constexpr std::string_view kPrefix = "http://127.0.0.1:";
  for (int i = 0; i < 400; ++i) {
    const std::string text = slurp(log_);
    const auto at = text.find(kPrefix);
    if (at != std::string::npos) {
      const auto begin = at + kPrefix.size();
      port_ = text.substr(begin, text.find(' ', begin) - begin);
      return true;
    }
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {  // it exited
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return false;
}

void GatewayProcess::signal(int signo) {
  if (pid_ > 0) ::kill(pid_, signo);
}

void GatewayProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int GatewayProcess::stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string GatewayProcess::output() const { return slurp(log_) + slurp(log_ + ".err"); }

}  // namespace aigate::testing
