#include "core/cli/admin_commands.h"

#include "core/accounts/accounts.h"
#include "core/api/user_json.h"

#include <iostream>

namespace aigate::cli {
namespace {

// Runs `fn` in one store write; prints its JSON result or the error.
template <typename Fn>
int runWrite(const CommonOptions& common, Fn fn) {
  const config::Config cfg = loadConfig(common);
  auto store = openStore(cfg);
  nlohmann::json out;
  Status status = store->writeSync([&](store::Conn& c) -> Status {
    Result<nlohmann::json> result = fn(c, cfg);
    if (!result) return result.error();
    out = std::move(result.value());
    return Status::Ok();
  });
  if (!status) {
    if (common.json)
      std::cout << status.error().toJson().dump(2) << std::endl;
    else
      std::cerr << "aigate: " << status.error().message() << std::endl;
    return 1;
  }
  printResult(common, out);
  return 0;
}

}  // namespace

int createUser(const CommonOptions& common, const std::string& email,
               const std::optional<std::string>& pack) {
  return runWrite(common, [&](store::Conn& c, const config::Config& cfg) -> Result<nlohmann::json> {
    auto created = accounts::createUser(c, cfg, email, pack);
    if (!created) return created.error();
    auto json = api::userJson(cfg, created->user, created->balance);
    json["api_key"] = created->key.secret;
    json["key_id"] = created->key.key_id;
    return json;
  });
}

int grantCredits(const CommonOptions& common, const std::string& user_ref,
                 const std::optional<std::string>& pack, const std::optional<int64_t>& credits,
                 const std::string& note) {
  return runWrite(common, [&](store::Conn& c, const config::Config& cfg) -> Result<nlohmann::json> {
    auto granted = accounts::grantToUser(c, cfg, user_ref, pack, credits, note);
    if (!granted) return granted.error();
    return api::userJson(cfg, granted->user, granted->balance);
  });
}

int createKey(const CommonOptions& common, const std::string& user_ref, const std::string& name) {
  return runWrite(common, [&](store::Conn& c, const config::Config&) -> Result<nlohmann::json> {
    auto key = accounts::issueKey(c, user_ref, name);
    if (!key) return key.error();
    return nlohmann::json{{"key_id", key->key_id},
                          {"user_id", key->user_id},
                          {"api_key", key->secret},
                          {"prefix", key->prefix}};
  });
}

int revokeKey(const CommonOptions& common, const std::string& key) {
  return runWrite(common, [&](store::Conn& c, const config::Config&) -> Result<nlohmann::json> {
    auto revoked = accounts::revokeKey(c, key);
    if (!revoked) return revoked.error();
    return nlohmann::json{{"key_id", *revoked}, {"revoked", true}};
  });
}

}  // namespace aigate::cli
