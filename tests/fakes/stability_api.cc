#include "tests/fakes/stability_api.h"

#include <cctype>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kApi = "/v2beta/stable-image/generate";

FakeResponse stabilityError(int status, const std::string& name, const std::string& message) {
  return jsonResponse(status, {{"id", "e0b4c1d2a3f4e5d6c7b8a9f0e1d2c3b4"},
                               {"name", name},
                               {"errors", json::array({message})}});
}

std::string lowerCase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

FakeStabilityApi::FakeStabilityApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      server_(FakeRoutes()
                  .on("POST", std::string(kApi) + "/{endpoint}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return generate(r, p.at("endpoint"));
                      })
                  .on("*", "/*",
                      [](const FakeRequest&, const FakeRoutes::Params&) {
                        return stabilityError(404, "not_found", "Not Found");
                      }),
              port) {}

FakeStabilityApi::~FakeStabilityApi() = default;

std::string FakeStabilityApi::baseUrl() const { return server_.baseUrl(); }

bool FakeStabilityApi::parseMultipart(const std::string& content_type, const std::string& body,
                                      std::map<std::string, std::string>* fields) {
  const auto at = lowerCase(content_type).find("boundary=");
  if (lowerCase(content_type).rfind("multipart/form-data", 0) != 0 || at == std::string::npos)
    return false;
  std::string boundary = content_type.substr(at + 9);
  if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
  if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string::npos) return false;
  while (true) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) return true;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return false;
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string::npos) return false;
    const std::string head = body.substr(pos, head_end - pos);
    const auto name_at = head.find("name=\"");
    if (name_at == std::string::npos) return false;
    const auto name_end = head.find('"', name_at + 6);
    if (name_end == std::string::npos) return false;
    const std::string name = head.substr(name_at + 6, name_end - name_at - 6);
    const auto next = body.find("\r\n" + delimiter, head_end + 4);
    if (next == std::string::npos) return false;
    (*fields)[name] = body.substr(head_end + 4, next - head_end - 4);
    pos = next + 2;
  }
}

FakeResponse FakeStabilityApi::generate(const FakeRequest& request, const std::string& endpoint) {
  if (request.bearerToken() != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return stabilityError(401, "unauthorized", "authorization: invalid or missing API key");
  }
  if (endpoint != "core" && endpoint != "ultra" && endpoint != "sd3")
    return stabilityError(404, "not_found", "Not Found");
  const std::string accept = request.header("accept").empty() ? "image/*" : request.header("accept");
  if (accept != "image/*" && accept != "application/json")
    return stabilityError(400, "bad_request", "accept: must be image/* or application/json");
  std::map<std::string, std::string> fields;
  if (!parseMultipart(request.header("content-type"), request.body, &fields))
    return stabilityError(400, "bad_request", "content-type: must be multipart/form-data");
  const auto field = [&](const char* name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  };
  if (field("prompt").empty()) return stabilityError(400, "bad_request", "prompt: is required");
  if (field("prompt").size() > 10000)
    return stabilityError(400, "bad_request", "prompt: must be at most 10000 characters");
  static const std::set<std::string> kRatios = {"16:9", "1:1", "21:9", "2:3", "3:2",
                                                "4:5",  "5:4", "9:16", "9:21"};
  if (fields.count("aspect_ratio") && !kRatios.count(field("aspect_ratio")))
    return stabilityError(400, "bad_request",
                          "aspect_ratio: must be one of 16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, 9:16, 9:21");
  const std::set<std::string> formats =
      endpoint == "sd3" ? std::set<std::string>{"png", "jpeg"}
                        : std::set<std::string>{"png", "jpeg", "webp"};
  const std::string format = fields.count("output_format") ? field("output_format") : "png";
  if (!formats.count(format))
    return stabilityError(400, "bad_request", "output_format: must be one of " +
                                                  std::string(endpoint == "sd3" ? "png, jpeg" : "png, jpeg, webp"));
  std::string seed = fields.count("seed") ? field("seed") : "0";
  for (const char c : seed)
    if (!std::isdigit(static_cast<unsigned char>(c)) || seed.size() > 10)
      return stabilityError(400, "bad_request", "seed: must be an integer from 0 to 4294967294");
  if (endpoint == "sd3") {
    static const std::set<std::string> kModels = {"sd3.5-large", "sd3.5-large-turbo",
                                                  "sd3.5-medium", "sd3.5-flash"};
    if (fields.count("model") && !kModels.count(field("model")))
      return stabilityError(400, "bad_request", "model: must be one of sd3.5-large, sd3.5-large-turbo, sd3.5-medium, sd3.5-flash");
    if (fields.count("mode") && field("mode") != "text-to-image")
      return stabilityError(400, "bad_request", "image: is required for image-to-image");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (seed == "0") seed = std::to_string(1000 + next_id_++);
  if (moderation_ == Moderation::kRejectPrompt)
    return stabilityError(403, "content_moderation",
                          "Your request was flagged by our content moderation system, as a result "
                          "your request was denied and you were not charged.");
  const std::string finish =
      moderation_ == Moderation::kFilterOutput ? "CONTENT_FILTERED" : "SUCCESS";
  if (accept == "application/json")
    return jsonResponse(200, {{"image", base64(image_)}, {"finish_reason", finish},
                              {"seed", std::stoll(seed)}});
  return {200, image_, image_mime_, {{"finish-reason", finish}, {"seed", seed}}, false};
}

void FakeStabilityApi::setModeration(Moderation m) {
  std::lock_guard<std::mutex> lock(mutex_);
  moderation_ = m;
}
void FakeStabilityApi::setImage(std::string bytes, std::string mime) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
}
void FakeStabilityApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeStabilityApi::setGarbage(bool on) { server_.setGarbage(on, "/v2beta/"); }
void FakeStabilityApi::setHang(bool on) { server_.setHang(on); }
void FakeStabilityApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeStabilityApi::generations() const {
  return server_.count("POST", std::string(kApi) + "/{endpoint}");
}
int FakeStabilityApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}
std::vector<std::string> FakeStabilityApi::log() const { return server_.log(); }

std::string FakeStabilityApi::lastAuthorization() const {
  const auto received = server_.received();
  return received.empty() ? "" : received.back().header("authorization");
}
std::string FakeStabilityApi::lastAccept() const {
  const auto received = server_.received();
  return received.empty() ? "" : received.back().header("accept");
}
std::string FakeStabilityApi::lastPath() const {
  const auto received = server_.received();
  return received.empty() ? "" : received.back().path;
}
std::map<std::string, std::string> FakeStabilityApi::lastFields() const {
  const auto received = server_.received();
  std::map<std::string, std::string> fields;
  if (!received.empty())
    parseMultipart(received.back().header("content-type"), received.back().body, &fields);
  return fields;
}

bool FakeStabilityApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
