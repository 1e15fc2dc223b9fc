#include "core/api/json_body.h"

namespace aigate::api {
namespace {

// The deepest nesting of arrays and objects in `text`, stopping early past
// `limit`; string contents are skipped.
int nestingDepth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<nlohmann::json> parseJsonObject(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return nlohmann::json::object();
  if (nestingDepth(body, kMaxJsonDepth) > kMaxJsonDepth)
    return Error(ErrorCode::kInvalidRequest,
                 "The body nests arrays or objects deeper than " + std::to_string(kMaxJsonDepth) +
                     " levels.");
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return Error(ErrorCode::kInvalidRequest, "The body is not valid JSON: " + what,
                 {{"byte", e.byte}});
  }
  if (!parsed.is_object())
    return Error(ErrorCode::kInvalidRequest, "The body must be a JSON object.");
  return parsed;
}

const nlohmann::json* Fields::find(const char* name, bool required) {
  if (error_) return nullptr;
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) {
    if (required) fail(name, std::string(name) + " is required.");
    return nullptr;
  }
  return &*it;
}

void Fields::fail(const char* name, std::string message) {
  if (!error_) error_ = Error::invalidField(name, std::move(message));
}

std::optional<std::string> Fields::string(const char* name, bool required, size_t max_length) {
  const auto* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail(name, std::string(name) + " must be a string.");
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (required && s.empty()) {
    fail(name, std::string(name) + " must not be empty.");
    return std::nullopt;
  }
  if (s.size() > max_length) {
    fail(name, std::string(name) + " must be at most " + std::to_string(max_length) +
                   " bytes long.");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> Fields::integer(const char* name, bool required, int64_t min, int64_t max) {
  const auto* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_number_integer()) {
    fail(name, std::string(name) + " must be a whole number.");
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    fail(name, std::string(name) + " is too large.");
    return std::nullopt;
  }
  const int64_t value = v->get<int64_t>();
  if (value < min || value > max) {
    fail(name, std::string(name) + " must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ".");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> Fields::boolean(const char* name, bool required) {
  const auto* v = find(name, required);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail(name, std::string(name) + " must be true or false.");
    return std::nullopt;
  }
  return v->get<bool>();
}

}  // namespace aigate::api
