// The BYOK key store: encryption at rest bound to owner and provider, and
// where the master key comes from.
#include "core/byok/keystore.h"

#include "core/accounts/accounts.h"
#include "core/cli/commands.h"
#include "tests/support/temp_dir.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>

using aigate::ErrorCode;
using aigate::Result;
using aigate::Status;
using aigate::byok::KeyInfo;
using aigate::byok::MasterKey;
using aigate::store::Conn;
using aigate::testing::TempDir;

namespace {

constexpr const char* kCanary = "sk-canary-7f3a9c1e5b2d8f4a6c0e9b1d3f5a7c9e";

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string hexOf(const MasterKey& key) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key.bytes()) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

bool sameKey(const MasterKey& a, const MasterKey& b) {
  return std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin());
}

// A store in a temp dir with two users.
struct Fixture {
  TempDir dir;
  aigate::config::Config cfg;
  std::unique_ptr<aigate::store::Store> store;
  MasterKey master = MasterKey::generate();
  std::string alice;
  std::string bob;

  Fixture() {
    cfg.data_dir = dir.path();
    cfg.store.synchronous = "normal";
    store = aigate::cli::openStore(cfg);
    alice = createUser("alice@example.com");
    bob = createUser("bob@example.com");
  }

  std::string createUser(const std::string& email) {
    std::string id;
    REQUIRE(write([&](Conn& c) -> Status {
      auto created = aigate::accounts::createUser(c, cfg, email, std::nullopt);
      if (!created) return created.error();
      id = created->user.id;
      return Status::Ok();
    }));
    return id;
  }

  bool write(const std::function<Status(Conn&)>& fn) { return store->writeSync(fn).ok(); }

  KeyInfo put(const std::string& user, const std::string& provider, const std::string& key) {
    KeyInfo info;
    REQUIRE(write([&](Conn& c) -> Status {
      auto stored = aigate::byok::putKey(c, master, user, provider, key);
      if (!stored) return stored.error();
      info = *stored;
      return Status::Ok();
    }));
    return info;
  }

  Result<std::string> decrypt(const std::string& user, const std::string& provider) {
    return aigate::byok::decryptKey(store->reader(), master, user, provider);
  }

  void exec(const std::string& sql) {
    REQUIRE(write([&](Conn& c) -> Status {
      c.db().exec(sql);
      return Status::Ok();
    }));
  }

  std::string blobHex(const std::string& column, const std::string& user,
                      const std::string& provider) {
    auto& db = store->reader().db();
    return db
        .execAndGet("SELECT hex(" + column + ") FROM byok_keys WHERE user_id = '" + user +
                    "' AND provider = '" + provider + "'")
        .getString();
  }
};

}  // namespace

TEST_CASE("a stored key decrypts to itself; the listing shows only a hint", "[byok]") {
  Fixture f;
  const KeyInfo info = f.put(f.alice, "openai", kCanary);
  CHECK(info.provider == "openai");
  CHECK(info.key_hint == "\xE2\x80\xA6" "7c9e");
  CHECK(info.created_at > 0);
  CHECK(info.updated_at == info.created_at);

  auto key = f.decrypt(f.alice, "openai");
  REQUIRE(key.ok());
  CHECK(*key == kCanary);

  auto listed = aigate::byok::listKeys(f.store->reader(), f.alice);
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].key_hint == info.key_hint);
  CHECK(aigate::byok::listKeys(f.store->reader(), f.bob).empty());
  CHECK(aigate::byok::providersWithKeys(f.store->reader(), f.alice) ==
        std::vector<std::string>{"openai"});

  auto missing = f.decrypt(f.bob, "openai");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code() == ErrorCode::kNotFound);
}

TEST_CASE("a short key's hint shows at most a quarter of it", "[byok]") {
  Fixture f;
  CHECK(f.put(f.alice, "a", "abcdefgh").key_hint == "\xE2\x80\xA6" "gh");
  CHECK(f.put(f.alice, "b", "abc").key_hint == "\xE2\x80\xA6");
}

TEST_CASE("another master key cannot decrypt, and the error never shows the key", "[byok]") {
  Fixture f;
  f.put(f.alice, "openai", kCanary);
  const MasterKey other = MasterKey::generate();
  auto key = aigate::byok::decryptKey(f.store->reader(), other, f.alice, "openai");
  REQUIRE_FALSE(key.ok());
  CHECK(key.error().code() == ErrorCode::kInternalError);
  CHECK(key.error().message().find("cannot be decrypted") != std::string::npos);
  CHECK(key.error().toJson().dump().find(kCanary) == std::string::npos);
}

TEST_CASE("a ciphertext moved to another user's row does not decrypt", "[byok]") {
  Fixture f;
  f.put(f.alice, "openai", kCanary);
  f.put(f.bob, "openai", "sk-bobs-own-key-0000000000");
  f.exec("UPDATE byok_keys SET (nonce, ciphertext) = (SELECT nonce, ciphertext FROM byok_keys "
         "WHERE user_id = '" + f.alice + "' AND provider = 'openai') WHERE user_id = '" + f.bob +
         "' AND provider = 'openai'");
  REQUIRE(f.blobHex("ciphertext", f.alice, "openai") == f.blobHex("ciphertext", f.bob, "openai"));
  auto stolen = f.decrypt(f.bob, "openai");
  REQUIRE_FALSE(stolen.ok());
  CHECK(stolen.error().message().find("cannot be decrypted") != std::string::npos);
  CHECK(*f.decrypt(f.alice, "openai") == kCanary);
}

TEST_CASE("a ciphertext moved to another provider's row does not decrypt", "[byok]") {
  Fixture f;
  f.put(f.alice, "openai", kCanary);
  f.put(f.alice, "runway", "key_runway_0000000000");
  f.exec("UPDATE byok_keys SET (nonce, ciphertext) = (SELECT nonce, ciphertext FROM byok_keys "
         "WHERE user_id = '" + f.alice + "' AND provider = 'openai') WHERE user_id = '" +
         f.alice + "' AND provider = 'runway'");
  auto moved = f.decrypt(f.alice, "runway");
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.error().message().find("cannot be decrypted") != std::string::npos);
  // And a whole row renamed to another provider fails the same way.
  f.exec("DELETE FROM byok_keys WHERE provider = 'runway'");
  f.exec("UPDATE byok_keys SET provider = 'luma' WHERE provider = 'openai'");
  CHECK_FALSE(f.decrypt(f.alice, "luma").ok());
}

TEST_CASE("every write uses a fresh nonce; a replaced key keeps one row", "[byok]") {
  Fixture f;
  const KeyInfo first = f.put(f.alice, "openai", kCanary);
  const std::string nonce1 = f.blobHex("nonce", f.alice, "openai");
  const std::string sealed1 = f.blobHex("ciphertext", f.alice, "openai");
  f.put(f.alice, "openai", kCanary);
  CHECK(f.blobHex("nonce", f.alice, "openai") != nonce1);
  CHECK(f.blobHex("ciphertext", f.alice, "openai") != sealed1);
  CHECK(nonce1.size() == 48);  // 24 bytes

  const KeyInfo replaced = f.put(f.alice, "openai", "sk-replacement-key-0000wxyz");
  CHECK(replaced.key_hint == "\xE2\x80\xA6" "wxyz");
  CHECK(replaced.created_at == first.created_at);
  CHECK(f.store->reader().db().execAndGet("SELECT count(*) FROM byok_keys").getInt() == 1);
  CHECK(*f.decrypt(f.alice, "openai") == "sk-replacement-key-0000wxyz");

  bool deleted = false;
  REQUIRE(f.write([&](Conn& c) {
    deleted = aigate::byok::deleteKey(c, f.alice, "openai");
    return Status::Ok();
  }));
  CHECK(deleted);
  REQUIRE(f.write([&](Conn& c) {
    deleted = aigate::byok::deleteKey(c, f.alice, "openai");
    return Status::Ok();
  }));
  CHECK_FALSE(deleted);
  CHECK(aigate::byok::providersWithKeys(f.store->reader(), f.alice).empty());
}

TEST_CASE("the key in clear is nowhere in the database files", "[byok]") {
  Fixture f;
  for (const char* provider : {"openai", "runway", "luma"}) f.put(f.alice, provider, kCanary);
  const std::string db = f.dir.file("aigate.db");
  const std::string before_checkpoint = slurp(db) + slurp(db + "-wal");
  CHECK(before_checkpoint.find("byok_keys") != std::string::npos);  // the files were read
  CHECK(before_checkpoint.find(kCanary) == std::string::npos);
  // Moved into the main file by a checkpoint, the rows are still sealed.
  SQLite::Database other(db, SQLite::OPEN_READWRITE);
  REQUIRE(other.execAndGet("PRAGMA wal_checkpoint(TRUNCATE)").getInt() == 0);  // not busy
  const std::string after_checkpoint = slurp(db);
  CHECK(after_checkpoint.find("sk-canary") == std::string::npos);
  CHECK(after_checkpoint.find("7c9e") != std::string::npos);  // the hints are there
  CHECK(after_checkpoint.find(kCanary) == std::string::npos);
}

TEST_CASE("bad keys are refused without being quoted", "[byok]") {
  for (const std::string& bad : {std::string(), std::string("has space"), std::string("tab\there"),
                                std::string("line\nbreak"), std::string("caf\xC3\xA9"),
                                std::string(aigate::byok::kMaxApiKeyBytes + 1, 'k')}) {
    Status s = aigate::byok::checkApiKey(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kInvalidRequest);
    CHECK(s.error().toJson()["field"] == "api_key");
    if (!bad.empty()) CHECK(s.error().message().find(bad) == std::string::npos);
  }
  CHECK(aigate::byok::checkApiKey(std::string(aigate::byok::kMaxApiKeyBytes, 'k')).ok());
  CHECK(aigate::byok::checkApiKey("sk-proj-AbC_123-xyz:456/+=.").ok());
}

TEST_CASE("the master key comes from the environment as base64 or hex", "[byok][master_key]") {
  aigate::config::Config cfg;
  TempDir dir;
  cfg.data_dir = dir.file("data");
  cfg.byok.master_key_env = "AIGATE_TEST_MASTER_KEY";
  cfg.byok.master_key_file_env = "AIGATE_TEST_MASTER_KEY_FILE";
  unsetenv("AIGATE_TEST_MASTER_KEY_FILE");
  const MasterKey expected = MasterKey::generate();

  setenv("AIGATE_TEST_MASTER_KEY", expected.toBase64().c_str(), 1);
  auto from_base64 = MasterKey::resolve(cfg);
  REQUIRE(from_base64.ok());
  CHECK(sameKey(*from_base64, expected));

  setenv("AIGATE_TEST_MASTER_KEY", (" " + hexOf(expected) + "\n").c_str(), 1);
  auto from_hex = MasterKey::resolve(cfg);
  REQUIRE(from_hex.ok());
  CHECK(sameKey(*from_hex, expected));

  std::string unpadded = expected.toBase64();
  while (unpadded.back() == '=') unpadded.pop_back();
  setenv("AIGATE_TEST_MASTER_KEY", unpadded.c_str(), 1);
  REQUIRE(MasterKey::resolve(cfg).ok());
  CHECK(sameKey(*MasterKey::resolve(cfg), expected));

  // Nothing was written to the data dir: the environment wins.
  CHECK_FALSE(std::ifstream(dir.file("data/master.key")).good());
  unsetenv("AIGATE_TEST_MASTER_KEY");
}

TEST_CASE("a malformed master key is an error naming its source, not its value",
          "[byok][master_key]") {
  aigate::config::Config cfg;
  TempDir dir;
  cfg.data_dir = dir.path();
  cfg.byok.master_key_env = "AIGATE_TEST_MASTER_KEY";
  cfg.byok.master_key_file_env = "AIGATE_TEST_MASTER_KEY_FILE";
  const std::string short_key = MasterKey::generate().toBase64().substr(0, 20);
  for (const std::string& bad : {std::string("not-a-key-at-all"), short_key,
                                hexOf(MasterKey::generate()) + "00",
                                MasterKey::generate().toBase64() + "AAAA"}) {
    setenv("AIGATE_TEST_MASTER_KEY", bad.c_str(), 1);
    auto key = MasterKey::resolve(cfg);
    REQUIRE_FALSE(key.ok());
    CHECK(key.error().message().find("environment variable AIGATE_TEST_MASTER_KEY") == 0);
    CHECK(key.error().message().find("32 bytes") != std::string::npos);
    CHECK(key.error().message().find(bad) == std::string::npos);
  }
  unsetenv("AIGATE_TEST_MASTER_KEY");

  std::ofstream(dir.file("bad.key")) << "garbage\n";
  setenv("AIGATE_TEST_MASTER_KEY_FILE", dir.file("bad.key").c_str(), 1);
  auto from_bad_file = MasterKey::resolve(cfg);
  REQUIRE_FALSE(from_bad_file.ok());
  CHECK(from_bad_file.error().message().find(dir.file("bad.key") + ": ") == 0);

  setenv("AIGATE_TEST_MASTER_KEY_FILE", dir.file("missing.key").c_str(), 1);
  auto from_missing_file = MasterKey::resolve(cfg);
  REQUIRE_FALSE(from_missing_file.ok());
  CHECK(from_missing_file.error().message().find("cannot read the master key file") !=
        std::string::npos);
  unsetenv("AIGATE_TEST_MASTER_KEY_FILE");

  std::ofstream(dir.file("master.key")) << "garbage\n";
  auto from_data_dir = MasterKey::resolve(cfg);
  REQUIRE_FALSE(from_data_dir.ok());
  CHECK(from_data_dir.error().message().find(dir.file("master.key") + ": ") == 0);
}

TEST_CASE("the master key comes from a file named by the environment", "[byok][master_key]") {
  aigate::config::Config cfg;
  TempDir dir;
  cfg.data_dir = dir.file("data");
  cfg.byok.master_key_env = "AIGATE_TEST_MASTER_KEY";
  cfg.byok.master_key_file_env = "AIGATE_TEST_MASTER_KEY_FILE";
  unsetenv("AIGATE_TEST_MASTER_KEY");
  const MasterKey expected = MasterKey::generate();
  std::ofstream(dir.file("my.key")) << expected.toBase64() << "\n";
  setenv("AIGATE_TEST_MASTER_KEY_FILE", dir.file("my.key").c_str(), 1);
  auto key = MasterKey::resolve(cfg);
  REQUIRE(key.ok());
  CHECK(sameKey(*key, expected));
  unsetenv("AIGATE_TEST_MASTER_KEY_FILE");
}

TEST_CASE("without configuration a master.key is made in the data dir, mode 0600, and kept",
          "[byok][master_key]") {
  aigate::config::Config cfg;
  TempDir dir;
  cfg.data_dir = dir.file("data");
  cfg.byok.master_key_env = "AIGATE_TEST_MASTER_KEY";
  cfg.byok.master_key_file_env = "AIGATE_TEST_MASTER_KEY_FILE";
  unsetenv("AIGATE_TEST_MASTER_KEY");
  unsetenv("AIGATE_TEST_MASTER_KEY_FILE");

  auto first = MasterKey::resolve(cfg);
  REQUIRE(first.ok());
  const std::string path = dir.file("data/master.key");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(slurp(path) == first->toBase64() + "\n");

  auto second = MasterKey::resolve(cfg);
  REQUIRE(second.ok());
  CHECK(sameKey(*first, *second));
}

TEST_CASE("aigate serve exits 1 on a malformed master key", "[byok][master_key][cli]") {
  TempDir dir;
  const std::string cmd = "AIGATE_MASTER_KEY=definitely-not-a-key " + std::string(AIGATE_BINARY) +
                          " serve --listen 127.0.0.1:0 --data " + dir.file("data") + " >" +
                          dir.file("out") + " 2>" + dir.file("err");
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 1);
  const std::string err = slurp(dir.file("err"));
  CHECK(err.find("environment variable AIGATE_MASTER_KEY: the master key must be 32 bytes") !=
        std::string::npos);
  CHECK(err.find("definitely-not-a-key") == std::string::npos);
}
