// Parsing request bodies: JSON objects with typed fields and clear errors.
#pragma once

#include "core/common/errors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aigate::api {

// Nesting deeper than this is refused before parsing.
inline constexpr int kMaxJsonDepth = 64;

// Parses `body` as a JSON object. An empty body is an empty object.
Result<nlohmann::json> parseJsonObject(std::string_view body);

// Reads typed fields of a JSON object; the first problem is kept as a
// 400 invalid_request naming the field. Unknown fields are ignored.
class Fields {
 public:
  explicit Fields(const nlohmann::json& object) : object_(object) {}

  std::optional<std::string> string(const char* name, bool required, size_t max_length = 1024);
  std::optional<int64_t> integer(const char* name, bool required, int64_t min, int64_t max);
  std::optional<bool> boolean(const char* name, bool required);

  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }

 private:
  const nlohmann::json* find(const char* name, bool required);
  void fail(const char* name, std::string message);

  const nlohmann::json& object_;
  std::optional<Error> error_;
};

}  // namespace aigate::api
