// Many threads against one account: the sums must come out exact.
#include "core/credits/ledger.h"

#include "core/store/store.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using namespace aigate;

namespace {

std::unique_ptr<store::Store> storeWithAccount(const testing::TempDir& dir, int64_t credits) {
  store::StoreOptions o;
  o.path = dir.file("aigate.db");
  o.synchronous_full = false;
  auto s = std::make_unique<store::Store>(o);
  REQUIRE(s->writeSync([&](store::Conn& c) -> Status {
               c.db().exec("INSERT INTO users VALUES ('usr_race', 'r@example.com', 'free', 0, 0)");
               credits::openAccount(c, "usr_race");
               auto g = credits::grant(c, "usr_race", credits, {});
               return g.ok() ? Status::Ok() : Status(g.error());
             }).ok());
  return s;
}

void checkBooks(store::Store& s, int64_t balance, int64_t held) {
  auto& db = s.reader().db();
  CHECK(db.execAndGet("SELECT balance FROM accounts").getInt64() == balance);
  CHECK(db.execAndGet("SELECT held FROM accounts").getInt64() == held);
  CHECK(db.execAndGet("SELECT SUM(amount) FROM ledger").getInt64() == balance);
  CHECK(db.execAndGet("SELECT SUM(held_delta) FROM ledger").getInt64() == held);
}

}  // namespace

TEST_CASE("64 threads racing holds of 10 on 100 credits: exactly 10 win", "[ledger][concurrency]") {
  testing::TempDir dir;
  auto s = storeWithAccount(dir, 100);
  std::atomic<int> won{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::string> hold_ids(64);
  std::vector<std::thread> threads;
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&, i] {
      Status st = s->writeSync([&](store::Conn& c) -> Status {
        auto h = credits::hold(c, "usr_race", 10, {"race", ""});
        if (!h) return h.error();
        hold_ids[i] = h->id;
        return Status::Ok();
      });
      if (st.ok())
        ++won;
      else if (st.error().code() == ErrorCode::kInsufficientCredits)
        ++refused;
      else
        ++other;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 10);
  CHECK(refused == 54);
  CHECK(other == 0);
  checkBooks(*s, 100, 100);

  // Settle the winners from many threads: half captured, half released.
  threads.clear();
  std::atomic<int> settled{0};
  int index = 0;
  for (int i = 0; i < 64; ++i) {
    if (hold_ids[i].empty()) continue;
    const bool capture = index++ % 2 == 0;
    threads.emplace_back([&, i, capture] {
      Status st = s->writeSync([&](store::Conn& c) -> Status {
        auto r = capture ? credits::capture(c, hold_ids[i]) : credits::release(c, hold_ids[i]);
        return r.ok() ? Status::Ok() : Status(r.error());
      });
      if (st.ok()) ++settled;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(settled == 10);
  checkBooks(*s, 50, 0);
}

TEST_CASE("concurrent charges, grants and holds never lose a credit", "[ledger][concurrency]") {
  testing::TempDir dir;
  auto s = storeWithAccount(dir, 1000);
  std::atomic<int64_t> charged{0};
  std::atomic<int64_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const int op = (t + i) % 3;
        (void)s->writeSync([&](store::Conn& c) -> Status {
          if (op == 0) {
            auto r = credits::charge(c, "usr_race", 7, {});
            if (r) charged += 7;
            return r.ok() ? Status::Ok() : Status(r.error());
          }
          if (op == 1) {
            auto r = credits::grant(c, "usr_race", 3, {});
            if (r) granted += 3;
            return r.ok() ? Status::Ok() : Status(r.error());
          }
          auto h = credits::hold(c, "usr_race", 5, {});
          if (!h) return h.error();
          auto r = credits::release(c, h->id);
          return r.ok() ? Status::Ok() : Status(r.error());
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  checkBooks(*s, 1000 + granted - charged, 0);
}
