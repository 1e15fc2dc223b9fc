#include "core/credits/ledger.h"

#include "core/store/store.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <functional>

using namespace aigate;
using credits::Balance;

namespace {

// A store with one user account, and a helper to run ledger calls in writes.
struct LedgerFixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> s;
  const std::string user = "usr_test";

  LedgerFixture() {
    store::StoreOptions o;
    o.path = dir.file("aigate.db");
    o.synchronous_full = false;
    s = std::make_unique<store::Store>(o);
    REQUIRE(run([&](store::Conn& c) -> Status {
      c.db().exec("INSERT INTO users VALUES ('usr_test', 't@example.com', 'free', 0, 0)");
      credits::openAccount(c, user);
      return Status::Ok();
    }).ok());
  }

  // Runs `fn` in a write; returns its Status.
  Status run(const std::function<Status(store::Conn&)>& fn) { return s->writeSync(fn); }

  template <typename T>
  Result<T> call(const std::function<Result<T>(store::Conn&)>& fn) {
    std::optional<Result<T>> out;
    const Status status = run([&](store::Conn& c) -> Status {
      out.emplace(fn(c));
      return out->ok() ? Status::Ok() : Status(out->error());
    });
    if (status.ok() || !out) REQUIRE(out);
    return *out;
  }

  Balance balance() {
    auto& q = s->reader().statement("SELECT balance, held FROM accounts WHERE user_id = ?");
    q.bind(1, user);
    REQUIRE(q.executeStep());
    Balance b{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
    q.reset();
    return b;
  }

  // The sums of the ledger must equal the account row.
  void checkInvariants() {
    auto& db = s->reader().db();
    const Balance b = balance();
    CHECK(b.held >= 0);
    CHECK(b.held <= b.balance);
    CHECK(db.execAndGet("SELECT COALESCE(SUM(amount),0) FROM ledger").getInt64() == b.balance);
    CHECK(db.execAndGet("SELECT COALESCE(SUM(held_delta),0) FROM ledger").getInt64() == b.held);
    CHECK(db.execAndGet("SELECT COALESCE(SUM(amount),0) FROM holds WHERE state='open'")
              .getInt64() == b.held);
  }
};

}  // namespace

TEST_CASE("grant, charge, hold, capture and release keep the books exact", "[ledger]") {
  LedgerFixture f;
  REQUIRE(f.call<Balance>([&](auto& c) { return credits::grant(c, f.user, 100, {"", "test"}); }).ok());
  CHECK(f.balance().balance == 100);

  auto charged = f.call<Balance>([&](auto& c) { return credits::charge(c, f.user, 30, {"req_1", ""}); });
  REQUIRE(charged.ok());
  CHECK(charged->balance == 70);

  auto h1 = f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 50, {"job_1", ""}); });
  REQUIRE(h1.ok());
  CHECK(h1->after.held == 50);
  CHECK(h1->after.available() == 20);
  f.checkInvariants();

  auto captured = f.call<Balance>([&](auto& c) { return credits::capture(c, h1->id); });
  REQUIRE(captured.ok());
  CHECK(captured->balance == 20);
  CHECK(captured->held == 0);

  auto h2 = f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 20, {}); });
  REQUIRE(h2.ok());
  auto released = f.call<Balance>([&](auto& c) { return credits::release(c, h2->id); });
  REQUIRE(released.ok());
  CHECK(released->balance == 20);
  CHECK(released->held == 0);
  f.checkInvariants();
}

TEST_CASE("a hold is settled exactly once", "[ledger]") {
  LedgerFixture f;
  REQUIRE(f.call<Balance>([&](auto& c) { return credits::grant(c, f.user, 100, {}); }).ok());
  auto h = f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 40, {}); });
  REQUIRE(h.ok());
  REQUIRE(f.call<Balance>([&](auto& c) { return credits::capture(c, h->id); }).ok());

  auto again = f.call<Balance>([&](auto& c) { return credits::capture(c, h->id); });
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message() == "Hold " + h->id + " is already captured.");
  auto release = f.call<Balance>([&](auto& c) { return credits::release(c, h->id); });
  REQUIRE_FALSE(release.ok());
  CHECK(f.balance().balance == 60);

  auto unknown = f.call<Balance>([&](auto& c) { return credits::release(c, "hld_nope"); });
  CHECK(unknown.error().code() == ErrorCode::kNotFound);
  f.checkInvariants();
}

TEST_CASE("spending more than is available is refused with the numbers", "[ledger]") {
  LedgerFixture f;
  REQUIRE(f.call<Balance>([&](auto& c) { return credits::grant(c, f.user, 25, {}); }).ok());
  REQUIRE(f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 20, {}); }).ok());

  auto charge = f.call<Balance>([&](auto& c) { return credits::charge(c, f.user, 10, {}); });
  REQUIRE_FALSE(charge.ok());
  CHECK(charge.error().code() == ErrorCode::kInsufficientCredits);
  const auto body = charge.error().toJson();
  CHECK(body["credits_needed"] == 10);
  CHECK(body["credits_balance"] == 5);
  CHECK(body["message"] == "This request costs 10 credits; you have 5.");

  auto hold = f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 6, {}); });
  CHECK(hold.error().code() == ErrorCode::kInsufficientCredits);
  CHECK(f.balance().balance == 25);
  CHECK(f.balance().held == 20);
  f.checkInvariants();
}

TEST_CASE("amounts must be positive", "[ledger]") {
  LedgerFixture f;
  CHECK_FALSE(f.call<Balance>([&](auto& c) { return credits::grant(c, f.user, 0, {}); }).ok());
  CHECK_FALSE(f.call<Balance>([&](auto& c) { return credits::charge(c, f.user, -5, {}); }).ok());
  CHECK_FALSE(f.call<credits::Hold>([&](auto& c) { return credits::hold(c, f.user, 0, {}); }).ok());
  CHECK(f.balance().balance == 0);
}

TEST_CASE("the ledger is append-only", "[ledger]") {
  LedgerFixture f;
  REQUIRE(f.call<Balance>([&](auto& c) { return credits::grant(c, f.user, 10, {}); }).ok());
  Status update = f.run([](store::Conn& c) {
    c.db().exec("UPDATE ledger SET amount = 1000000");
    return Status::Ok();
  });
  CHECK(update.error().code() == ErrorCode::kInternalError);
  Status remove = f.run([](store::Conn& c) {
    c.db().exec("DELETE FROM ledger");
    return Status::Ok();
  });
  CHECK(remove.error().code() == ErrorCode::kInternalError);
  f.checkInvariants();
}
