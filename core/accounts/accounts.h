// Users, their API keys, and packs: the account operations shared by the
// HTTP API and the command line.
//
// Write functions REQUIRE a Store write (the writer's open transaction); read
// functions take any connection.
#pragma once

#include "config/config.h"
#include "core/common/errors.h"
#include "core/credits/ledger.h"
#include "core/store/store.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aigate::accounts {

inline constexpr std::string_view kKeyPrefix = "sk-aigate-";

struct User {
  std::string id;
  std::string email;
  std::string tier;
  int tier_level = 0;
  int64_t created_at = 0;
};

// A freshly issued key. `secret` is the whole key; it is shown once and
// never stored.
struct IssuedKey {
  std::string key_id;
  std::string user_id;
  std::string secret;
  std::string prefix;  // what listings show, e.g. "sk-aigate-Ab12…"
};

struct NewUser {
  User user;
  IssuedKey key;
  credits::Balance balance;
};

// The account behind a presented key (read path of every API call).
struct KeyOwner {
  std::string key_id;
  User user;
  credits::Balance balance;
};

// "a@b.c"-shaped, at most 254 characters; returns the problem or "".
std::string emailProblem(std::string_view email);

// Creates a user on the free tier with the registration grant, buys `pack`
// when given, and issues a first key. email_taken if the email is in use;
// invalid_request (field "pack") for an unknown pack.
Result<NewUser> createUser(store::Conn& c, const config::Config& cfg, const std::string& email,
                           const std::optional<std::string>& pack);

// Buys `pack` for the user: grants its credits and raises the tier when the
// pack ranks above every pack bought before.
Result<User> buyPack(store::Conn& c, const config::Config& cfg, const std::string& user_id,
                     const std::string& pack);

struct Granted {
  User user;
  credits::Balance balance;
};
// Buys `pack` or grants `credits` (exactly one is set) to the user given by
// id or email.
Result<Granted> grantToUser(store::Conn& c, const config::Config& cfg, const std::string& user_ref,
                            const std::optional<std::string>& pack,
                            const std::optional<int64_t>& credits, const std::string& note);

// Issues another key for the user given by id or email.
Result<IssuedKey> issueKey(store::Conn& c, const std::string& user_ref, const std::string& name);

// Revokes a key given by id ("key_…") or by its whole secret. not_found when
// no such key exists; revoking twice is not an error.
Result<std::string> revokeKey(store::Conn& c, const std::string& key_id_or_secret);

// The user with this id, or (when it contains '@') this email.
Result<User> findUser(store::Conn& c, const std::string& id_or_email);

// The live key whose secret is `secret`, with its owner and balance;
// nullopt for an unknown or revoked key.
std::optional<KeyOwner> authenticate(store::Conn& c, std::string_view secret);

}  // namespace aigate::accounts
