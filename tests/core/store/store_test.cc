#include "core/store/store.h"

#include "core/store/migrations.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using aigate::ErrorCode;
using aigate::Error;
using aigate::Status;
using aigate::store::Conn;
using aigate::store::Store;
using aigate::store::StoreOptions;

namespace {

StoreOptions optionsIn(const aigate::testing::TempDir& dir) {
  StoreOptions o;
  o.path = dir.file("aigate.db");
  o.synchronous_full = false;
  return o;
}

int64_t count(Store& s, const char* sql) { return s.reader().db().execAndGet(sql).getInt64(); }

}  // namespace

TEST_CASE("opening a store applies every migration once", "[store]") {
  aigate::testing::TempDir dir;
  const int newest = aigate::store::migrations().back().version;
  {
    Store s(optionsIn(dir));
    CHECK(s.schemaVersion() == newest);
    CHECK(s.reader().db().execAndGet("PRAGMA journal_mode").getString() == "wal");
  }
  Store again(optionsIn(dir));  // re-opening must not re-run them
  CHECK(again.schemaVersion() == newest);
  CHECK(count(again, "SELECT COUNT(*) FROM schema_migrations") ==
        static_cast<int64_t>(aigate::store::migrations().size()));
}

TEST_CASE("a database from a newer aigate is refused", "[store]") {
  aigate::testing::TempDir dir;
  {
    Store s(optionsIn(dir));
    REQUIRE(s.writeSync([](Conn& c) {
                 c.db().exec("INSERT INTO schema_migrations VALUES (9999, 'future', 0)");
                 return Status::Ok();
               }).ok());
  }
  CHECK_THROWS_WITH(Store(optionsIn(dir)),
                    Catch::Contains("schema version 9999") && Catch::Contains("newer aigate"));
}

TEST_CASE("a failed write rolls back only its own changes in a shared commit", "[store]") {
  aigate::testing::TempDir dir;
  Store s(optionsIn(dir));
  REQUIRE(s.writeSync([](Conn& c) {
               c.db().exec("CREATE TABLE t (v INTEGER)");
               return Status::Ok();
             }).ok());

  // Many writers at once so that batches hold several writes; every third fails.
  std::atomic<int> done{0};
  std::vector<Status> results(90);
  for (int i = 0; i < 90; ++i) {
    s.write(
        [i](Conn& c) -> Status {
          auto& q = c.statement("INSERT INTO t (v) VALUES (?)");
          q.bind(1, i);
          q.exec();
          if (i % 3 == 0) return Error(ErrorCode::kInvalidRequest, "refused");
          if (i % 3 == 1) return Status::Ok();
          throw std::runtime_error("a bug");
        },
        [&, i](const Status& st) {
          results[i] = st;
          ++done;
        });
  }
  while (done < 90) std::this_thread::yield();
  CHECK(count(s, "SELECT COUNT(*) FROM t") == 30);
  CHECK(count(s, "SELECT COUNT(*) FROM t WHERE v % 3 != 1") == 0);
  for (int i = 0; i < 90; ++i) {
    if (i % 3 == 1) CHECK(results[i].ok());
    if (i % 3 == 0) CHECK(results[i].error().code() == ErrorCode::kInvalidRequest);
    if (i % 3 == 2) CHECK(results[i].error().code() == ErrorCode::kInternalError);
  }
}

TEST_CASE("the writer keeps its savepoints' journals in memory, not in temporary files", "[store]") {
  aigate::testing::TempDir dir;
  Store s(optionsIn(dir));
  int64_t temp_store = -1;
  REQUIRE(s.writeSync([&](Conn& c) {
               temp_store = c.db().execAndGet("PRAGMA temp_store").getInt64();
               return Status::Ok();
             }).ok());
  CHECK(temp_store == 2);  // MEMORY
}

TEST_CASE("writes queued before the store closes are all committed", "[store]") {
  aigate::testing::TempDir dir;
  {
    Store s(optionsIn(dir));
    REQUIRE(s.writeSync([](Conn& c) {
                 c.db().exec("CREATE TABLE t (v INTEGER)");
                 return Status::Ok();
               }).ok());
    for (int i = 0; i < 500; ++i)
      s.write([](Conn& c) {
                c.db().exec("INSERT INTO t VALUES (1)");
                return Status::Ok();
              },
              [](const Status&) {});
  }
  Store reopened(optionsIn(dir));
  CHECK(count(reopened, "SELECT COUNT(*) FROM t") == 500);
}
