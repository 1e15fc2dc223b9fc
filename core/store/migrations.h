// The schema, as forward-only migrations applied in order at start-up.
#pragma once

#include <span>
#include <string_view>

namespace aigate::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The trigger that indexes each new asset for full-text search (created by
// migration 2; dropped and restored around bulk loads, see library/catalog.h).
inline constexpr std::string_view kAssetsFtsInsertTrigger =
    "CREATE TRIGGER IF NOT EXISTS assets_fts_insert AFTER INSERT ON assets BEGIN"
    " INSERT INTO assets_fts (rowid, title, tags, description, topic)"
    " VALUES (new.seq, new.title, new.tags, new.description, new.topic); END";

// Every migration this binary knows, in ascending version order.
std::span<const Migration> migrations();

}  // namespace aigate::store
