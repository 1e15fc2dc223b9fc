// `aigate admin …`: operator commands working on the store directly (the
// gateway may be running; SQLite serialises the writes).
#pragma once

#include "core/cli/commands.h"

#include <optional>
#include <string>

namespace aigate::cli {

int createUser(const CommonOptions& common, const std::string& email,
               const std::optional<std::string>& pack);
int grantCredits(const CommonOptions& common, const std::string& user,
                 const std::optional<std::string>& pack, const std::optional<int64_t>& credits,
                 const std::string& note);
int createKey(const CommonOptions& common, const std::string& user, const std::string& name);
int revokeKey(const CommonOptions& common, const std::string& key);

}  // namespace aigate::cli
