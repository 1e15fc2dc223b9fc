#include "core/api/openai_errors.h"

namespace aigate::api {

bool isOpenAiPath(std::string_view path) { return path.rfind("/v1/", 0) == 0; }

std::string_view openAiErrorType(int status) {
  switch (status) {
    case 402: return "insufficient_quota";
    case 429: return "rate_limit_error";
    case 503: return "service_unavailable_error";
    default: return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

void toOpenAiShape(Reply& reply) {
  if (reply.status < 400 || !reply.raw_body.empty() || !reply.body.is_object()) return;
  auto code = reply.body.find("error");
  if (code == reply.body.end() || !code->is_string()) return;
  nlohmann::json error = {{"message", reply.body.value("message", "")},
                          {"type", openAiErrorType(reply.status)},
                          {"param", nullptr},
                          {"code", *code}};
  nlohmann::json shaped = nlohmann::json::object();
  for (const auto& [key, value] : reply.body.items()) {
    if (key == "error" || key == "message") continue;
    if (key == "field")
      error["param"] = value;
    else if (key == "credits_balance")  // on every authenticated reply, at the top
      shaped[key] = value;
    else
      error[key] = value;
  }
  if (*code == "upstream_error") reply.headers.emplace_back("x-should-retry", "false");
  shaped["error"] = std::move(error);
  reply.body = std::move(shaped);
}

}  // namespace aigate::api
