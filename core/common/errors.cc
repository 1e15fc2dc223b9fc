#include "core/common/errors.h"

#include <nlohmann/json.hpp>

namespace aigate {
namespace {

// Indexed by ErrorCode; keep in the enum's order.
constexpr ErrorInfo kErrorTable[] = {
    {400, "invalid_request"},
    {401, "missing_api_key"},
    {401, "invalid_api_key"},
    {402, "insufficient_credits"},
    {403, "video_not_included"},
    {403, "feature_not_included"},
    {404, "not_found"},
    {405, "method_not_allowed"},
    {409, "idempotency_conflict"},
    {409, "email_taken"},
    {413, "payload_too_large"},
    {416, "range_not_satisfiable"},
    {403, "registration_closed"},
    {429, "rate_limit"},
    {500, "internal_error"},
    {502, "upstream_error"},
    {503, "generation_unavailable"},
    {503, "shutting_down"},
};
static_assert(std::size(kErrorTable) == static_cast<size_t>(ErrorCode::kShuttingDown) + 1,
              "every ErrorCode needs a row in kErrorTable");

}  // namespace

const ErrorInfo& errorInfo(ErrorCode code) { return kErrorTable[static_cast<size_t>(code)]; }

Error::Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

Error::Error(ErrorCode code, std::string message, const nlohmann::json& context)
    : code_(code),
      message_(std::move(message)),
      context_(std::make_unique<nlohmann::json>(context)) {}

Error::Error(const Error& other)
    : code_(other.code_),
      message_(other.message_),
      context_(other.context_ ? std::make_unique<nlohmann::json>(*other.context_) : nullptr) {}

Error::Error(Error&&) noexcept = default;
Error& Error::operator=(Error&&) noexcept = default;
Error::~Error() = default;

Error& Error::operator=(const Error& other) {
  if (this != &other) *this = Error(other);
  return *this;
}

nlohmann::json Error::toJson() const {
  nlohmann::json body = {{"error", errorInfo(code_).code}, {"message", message_}};
  if (context_ && context_->is_object()) {
    for (const auto& [key, value] : context_->items()) body[key] = value;
  }
  return body;
}

Error Error::invalidField(const std::string& field, std::string message) {
  return Error(ErrorCode::kInvalidRequest, std::move(message), nlohmann::json{{"field", field}});
}

}  // namespace aigate
