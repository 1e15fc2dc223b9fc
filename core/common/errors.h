// The one table of error codes the API answers with, and Result<T>, the value
// the request path returns instead of throwing.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace aigate {

enum class ErrorCode {
  kInvalidRequest,
  kMissingApiKey,
  kInvalidApiKey,
  kInsufficientCredits,
  kVideoNotIncluded,
  kFeatureNotIncluded,
  kNotFound,
  kMethodNotAllowed,
  kIdempotencyConflict,
  kEmailTaken,
  kPayloadTooLarge,
  kRangeNotSatisfiable,
  kRegistrationClosed,
  kRateLimit,
  kInternalError,
  kUpstreamError,
  kGenerationUnavailable,
  kShuttingDown,
};

struct ErrorInfo {
  int status;
  std::string_view code;  // stable machine code clients branch on
};

// The HTTP status and stable code of `code`.
const ErrorInfo& errorInfo(ErrorCode code);

// An error answered to a client: a code from the table, a human message, and
// optional context fields merged into the JSON body (`field`, `credits_needed`…).
class Error {
 public:
  Error(ErrorCode code, std::string message);
  Error(ErrorCode code, std::string message, const nlohmann::json& context);
  Error(const Error& other);
  Error(Error&&) noexcept;
  Error& operator=(const Error& other);
  Error& operator=(Error&&) noexcept;
  ~Error();

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int status() const { return errorInfo(code_).status; }
  // The flat JSON body: {"error": code, "message": ..., context...}.
  nlohmann::json toJson() const;

  // Shorthand for 400 invalid_request naming the offending field.
  static Error invalidField(const std::string& field, std::string message);

 private:
  ErrorCode code_;
  std::string message_;
  std::unique_ptr<nlohmann::json> context_;  // null when there is none
};

// A value or an Error. The request path returns these; it never throws.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

}  // namespace aigate
