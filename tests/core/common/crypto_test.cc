#include "core/common/crypto.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

using namespace aigate;

namespace {

bool isBase62(const std::string& s) {
  return s.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") ==
         std::string::npos;
}

}  // namespace

TEST_CASE("random base62 strings have the length asked and do not repeat", "[crypto]") {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {  // several blocks of the buffered source
    const auto s = randomBase62(i % 3 == 0 ? 48 : 12);
    CHECK(s.size() == (i % 3 == 0 ? 48u : 12u));
    CHECK(isBase62(s));
    CHECK(seen.insert(s).second);
  }
  CHECK(randomBase62(0).empty());
}

TEST_CASE("ids are a prefix, then time-ordered base62", "[crypto]") {
  const auto a = newId("req");
  const auto b = newId("req");
  REQUIRE(a.size() == 4 + 20);
  CHECK(a.rfind("req_", 0) == 0);
  CHECK(isBase62(a.substr(4)));
  CHECK(a != b);
  CHECK(a.substr(0, 12) <= b.substr(0, 12));  // the milliseconds part
}

TEST_CASE("a forked child never draws its parent's random bytes", "[crypto]") {
  randomBase62(8);  // the parent holds a block, mostly unused
  int out[2];
  REQUIRE(pipe(out) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string mine = randomBase62(32);
    const ssize_t written = write(out[1], mine.data(), mine.size());
    _exit(written == static_cast<ssize_t>(mine.size()) ? 0 : 1);
  }
  close(out[1]);
  const std::string parents = randomBase62(32);
  std::string childs(32, '\0');
  size_t got = 0;
  while (got < childs.size()) {
    const ssize_t n = read(out[0], childs.data() + got, childs.size() - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(out[0]);
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(got == childs.size());
  CHECK(childs != parents);
}
