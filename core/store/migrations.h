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

// Every migration this binary knows, in ascending version order.
std::span<const Migration> migrations();

}  // namespace aigate::store
