#include "tests/fakes/kling_api.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kImages = "/v1/images/generations";
constexpr const char* kVideos = "/v1/videos/text2video";

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Kling's error envelope, with the HTTP status its table gives the code.
FakeResponse klingError(int status, int code, const std::string& message) {
  return jsonResponse(status, {{"code", code},
                               {"message", message},
                               {"request_id", "fake-req-" + std::to_string(code)}});
}

// Decodes base64url without padding; nullopt on a character outside it.
std::optional<std::string> base64UrlDecode(const std::string& text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  if (text.size() % 4 == 1) return std::nullopt;
  return out;
}

}  // namespace

FakeKlingApi::FakeKlingApi(std::string access_key, std::string secret_key, uint16_t port)
    : access_key_(std::move(access_key)),
      secret_key_(std::move(secret_key)),
      image_(samples::png(64, 64)),
      video_(samples::mp4()),
      server_(FakeRoutes()
                  .on("POST", kImages,
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, "image"); });
                      })
                  .on("POST", kVideos,
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r, "video"); });
                      })
                  .on("GET", std::string(kImages) + "/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll("image", p.at("id")); });
                      })
                  .on("GET", std::string(kVideos) + "/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll("video", p.at("id")); });
                      })
                  .on("*", "/v1/*",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [] { return klingError(404, 1202, "invalid method"); });
                      })
                  .on("GET", "/files/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("file"));
                      }),
              port) {}

FakeKlingApi::~FakeKlingApi() = default;

std::string FakeKlingApi::baseUrl() const { return server_.baseUrl(); }

std::pair<int, std::string> FakeKlingApi::checkToken(const std::string& token) const {
  if (token.empty()) return {1001, "Authorization is empty"};
  const auto first = token.find('.');
  const auto second = first == std::string::npos ? first : token.find('.', first + 1);
  if (second == std::string::npos || token.find('.', second + 1) != std::string::npos)
    return {1002, "Authorization is invalid"};
  const auto header = base64UrlDecode(token.substr(0, first));
  const auto payload = base64UrlDecode(token.substr(first + 1, second - first - 1));
  const auto signature = base64UrlDecode(token.substr(second + 1));
  if (!header || !payload || !signature) return {1002, "Authorization is invalid"};
  const json h = json::parse(*header, nullptr, false);
  const json p = json::parse(*payload, nullptr, false);
  if (!h.is_object() || !p.is_object() || h.value("alg", std::string()) != "HS256")
    return {1002, "Authorization is invalid"};

  const std::string signing_input = token.substr(0, second);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_key_.data(), static_cast<int>(secret_key_.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), digest,
       &length);
  if (signature->size() != length || CRYPTO_memcmp(signature->data(), digest, length) != 0)
    return {1000, "Authentication failed: signature mismatch"};
  if (p.value("iss", std::string()) != access_key_)
    return {1000, "Authentication failed: unknown access key"};
  if (!p.contains("exp") || !p["exp"].is_number_integer() || !p.contains("nbf") ||
      !p["nbf"].is_number_integer())
    return {1002, "Authorization is invalid: exp and nbf are required"};
  const int64_t now = nowSeconds();
  if (p["nbf"].get<int64_t>() > now) return {1003, "Authorization is not yet valid"};
  if (p["exp"].get<int64_t>() <= now) return {1004, "Authorization has expired"};
  return {0, ""};
}

FakeResponse FakeKlingApi::guarded(const FakeRequest& request,
                                   const std::function<FakeResponse()>& route) {
  const auto [code, message] = checkToken(request.bearerToken());
  if (code != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return klingError(401, code, message);
  }
  return route();
}

FakeResponse FakeKlingApi::submit(const FakeRequest& request, const std::string& kind) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return klingError(400, 1200, "request body is not valid JSON");
  const std::set<std::string> models =
      kind == "image" ? std::set<std::string>{"kling-v1", "kling-v1-5", "kling-v2", "kling-v2-1"}
                      : std::set<std::string>{"kling-v1", "kling-v1-6", "kling-v2-master",
                                              "kling-v2-1-master", "kling-v2-5-turbo"};
  const std::set<std::string> ratios =
      kind == "image"
          ? std::set<std::string>{"16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"}
          : std::set<std::string>{"16:9", "9:16", "1:1"};
  const json model_name = body.value("model_name", json("kling-v1"));
  if (!model_name.is_string() || !models.count(model_name.get<std::string>()))
    return klingError(404, 1203, "model_name " + model_name.dump() + " is not found");
  const std::string model = model_name.get<std::string>();
  const auto literal = [&](const char* field, const std::set<std::string>& allowed) {
    return !body.contains(field) ||
           (body[field].is_string() && allowed.count(body[field].get<std::string>()));
  };
  if (!literal("aspect_ratio", ratios))
    return klingError(400, 1201, "aspect_ratio is invalid: " + body["aspect_ratio"].dump());
  if (kind == "image" && model == "kling-v1" && body.value("aspect_ratio", json()) == "21:9")
    return klingError(400, 1201, "aspect_ratio 21:9 is not supported by kling-v1");
  if (kind == "video") {
    if (!literal("mode", {"std", "pro"}))
      return klingError(400, 1201, "mode is invalid: " + body["mode"].dump());
    if (!literal("duration", {"5", "10"}))
      return klingError(400, 1201, "duration is invalid: " + body["duration"].dump());
  } else if (body.contains("n") &&
             (!body["n"].is_number_integer() || body["n"].get<int>() < 1 ||
              body["n"].get<int>() > 9)) {
    return klingError(400, 1201, "n is invalid: " + body["n"].dump());
  }
  if (!body.contains("prompt") || !body["prompt"].is_string() ||
      body["prompt"].get_ref<const std::string&>().empty())
    return klingError(400, 1201, "prompt is required");
  const std::string& prompt = body["prompt"].get_ref<const std::string&>();
  if (prompt.size() > 2500) return klingError(400, 1201, "prompt is too long (2500 at most)");

  std::lock_guard<std::mutex> lock(mutex_);
  if (!risky_word_.empty() && prompt.find(risky_word_) != std::string::npos)
    return klingError(400, 1301, "Failure to pass the risk control system");
  const std::string id = "Cj" + std::to_string(800000 + next_id_++);
  Task& task = tasks_[id];
  task.kind = kind;
  task.request = body;
  task.created_at = nowSeconds() * 1000;
  return jsonResponse(200, {{"code", 0},
                            {"message", "SUCCEED"},
                            {"request_id", "fake-req-" + id},
                            {"data",
                             {{"task_id", id},
                              {"task_status", "submitted"},
                              {"created_at", task.created_at},
                              {"updated_at", task.created_at}}}});
}

json FakeKlingApi::describe(const std::string& id, const Task& task, const std::string& status) {
  json data = {{"task_id", id},
               {"task_status", status},
               {"task_status_msg", ""},
               {"created_at", task.created_at},
               {"updated_at", nowSeconds() * 1000}};
  const std::string files = server_.baseUrl() + "/files/" + id;
  if (status == "succeed") {
    data["final_unit_deduction"] = task.kind == "video" ? "1" : "0.2";
    if (task.kind == "video")
      data["task_result"] = {
          {"videos",
           json::array({{{"id", id + "-v"},
                         {"url", files + ".mp4"},
                         {"duration", task.request.value("duration", std::string("5"))}}})}};
    else
      data["task_result"] = {{"images", json::array({{{"index", 0}, {"url", files + ".png"}}})}};
  } else if (status == "failed") {
    data["task_status_msg"] = failure_reason_;
  }
  return {{"code", 0}, {"message", "SUCCEED"}, {"request_id", "fake-req-" + id}, {"data", data}};
}

FakeResponse FakeKlingApi::poll(const std::string& kind, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  if (it == tasks_.end() || it->second.kind != kind)
    return klingError(404, 1203, "task " + id + " is not found");
  Task& task = it->second;
  std::string status;
  if (task.polls < polls_before_done_) {
    status = task.polls == 0 ? "submitted" : "processing";
    ++task.polls;
  } else {
    status = failure_reason_.empty() ? "succeed" : "failed";
  }
  return jsonResponse(200, describe(id, task, status));
}

FakeResponse FakeKlingApi::download(const std::string& file) {
  const auto dot = file.rfind('.');
  if (dot == std::string::npos) return {404, "Not Found", "text/plain", {}, false};
  const std::string id = file.substr(0, dot);
  const std::string ext = file.substr(dot + 1);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) return {404, "Not Found", "text/plain", {}, false};
  if (it->second.kind == "video" && ext == "mp4") return {200, video_, "video/mp4", {}, false};
  if (it->second.kind == "image" && ext == "png") return {200, image_, "image/png", {}, false};
  return {404, "Not Found", "text/plain", {}, false};
}

void FakeKlingApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}

void FakeKlingApi::setFailureReason(std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  failure_reason_ = std::move(reason);
}

void FakeKlingApi::setRiskyWord(std::string word) {
  std::lock_guard<std::mutex> lock(mutex_);
  risky_word_ = std::move(word);
}

void FakeKlingApi::setImage(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
}

void FakeKlingApi::setVideo(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  video_ = std::move(bytes);
}

void FakeKlingApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeKlingApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeKlingApi::setHang(bool on) { server_.setHang(on); }
void FakeKlingApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeKlingApi::submits() const {
  return server_.count("POST", kImages) + server_.count("POST", kVideos);
}
int FakeKlingApi::polls() const {
  return server_.count("GET", std::string(kImages) + "/{id}") +
         server_.count("GET", std::string(kVideos) + "/{id}");
}
int FakeKlingApi::downloads() const { return server_.count("GET", "/files/*"); }

int FakeKlingApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}

std::vector<std::string> FakeKlingApi::log() const { return server_.log(); }

std::string FakeKlingApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return it->header("authorization");
  return "";
}

json FakeKlingApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && (it->path == kImages || it->path == kVideos))
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeKlingApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
