#include "tests/fakes/ideogram_api.h"

#include <cstdlib>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kV3 = "/v1/ideogram-v3/generate";
constexpr const char* kLegacy = "/generate";
constexpr const char* kImages = "/api/images/ephemeral";

FakeResponse error(int status, const std::string& message) {
  return jsonResponse(status, {{"error", message}});
}

// Ideogram's resolution for a v3 ratio ("16x9") or a legacy one ("ASPECT_16_9").
std::string resolutionFor(const std::string& ratio) {
  static const std::map<std::string, std::string> kSizes = {
      {"1x1", "1024x1024"}, {"16x9", "1312x736"}, {"9x16", "736x1312"}, {"4x3", "1152x864"},
      {"3x4", "864x1152"},  {"3x2", "1248x832"},  {"2x3", "832x1248"},  {"4x5", "896x1120"},
      {"5x4", "1120x896"},  {"16x10", "1280x800"}, {"10x16", "800x1280"}, {"2x1", "1408x704"},
      {"1x2", "704x1408"},  {"3x1", "1728x576"},  {"1x3", "576x1728"}};
  std::string key = ratio;
  if (key.rfind("ASPECT_", 0) == 0) {
    key = key.substr(7);
    const auto underscore = key.find('_');
    if (underscore != std::string::npos) key[underscore] = 'x';
  }
  const auto it = kSizes.find(key);
  return it == kSizes.end() ? std::string() : it->second;
}

bool isInteger(const std::string& text, long long min, long long max) {
  if (text.empty()) return false;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  return *end == '\0' && v >= min && v <= max;
}

std::string trim(std::string text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.pop_back();
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  return text.substr(i);
}

}  // namespace

bool parseMultipart(const std::string& content_type, const std::string& body,
                    std::map<std::string, std::string>* fields) {
  if (content_type.rfind("multipart/form-data", 0) != 0) return false;
  const auto at = content_type.find("boundary=");
  if (at == std::string::npos) return false;
  std::string boundary = content_type.substr(at + 9);
  if (const auto semi = boundary.find(';'); semi != std::string::npos)
    boundary = boundary.substr(0, semi);
  if (boundary.size() >= 2 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
  if (boundary.empty()) return false;
  const std::string delimiter = "--" + boundary;
  size_t pos = body.find(delimiter);
  if (pos == std::string::npos) return false;
  while (true) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) return true;  // the closing delimiter
    if (body.compare(pos, 2, "\r\n") != 0) return false;
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string::npos) return false;
    const std::string headers = body.substr(pos, headers_end - pos);
    const size_t name_at = headers.find("name=\"");
    if (name_at == std::string::npos) return false;
    const size_t name_end = headers.find('"', name_at + 6);
    if (name_end == std::string::npos) return false;
    const std::string name = headers.substr(name_at + 6, name_end - name_at - 6);
    const size_t value_start = headers_end + 4;
    const size_t next = body.find("\r\n" + delimiter, value_start);
    if (next == std::string::npos) return false;
    (*fields)[name] = body.substr(value_start, next - value_start);
    pos = next + 2;
  }
}

FakeIdeogramApi::FakeIdeogramApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      server_(FakeRoutes()
                  .on("POST", kV3,
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return generateV3(r); });
                      })
                  .on("POST", kLegacy,
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return generateLegacy(r); });
                      })
                  .on("GET", std::string(kImages) + "/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("file"));
                      }),
              port) {}

FakeIdeogramApi::~FakeIdeogramApi() = default;

std::string FakeIdeogramApi::baseUrl() const { return server_.baseUrl(); }

FakeResponse FakeIdeogramApi::guarded(const FakeRequest& request,
                                      const std::function<FakeResponse()>& route) {
  // Ideogram takes the key in "Api-Key", not as a bearer token.
  if (trim(request.header("api-key")) != api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return error(401, "Unauthorized");
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (garbage_) return {200, "<html>not json", "text/html", {}, false};
  }
  return route();
}

FakeResponse FakeIdeogramApi::generateV3(const FakeRequest& request) {
  std::map<std::string, std::string> fields;
  if (!parseMultipart(request.header("content-type"), request.body, &fields))
    return error(400, "Invalid input: the body must be multipart/form-data");
  static const std::set<std::string> kSpeeds = {"TURBO", "DEFAULT", "QUALITY", "FLASH"};
  const std::string ratio = fields.count("aspect_ratio") ? fields["aspect_ratio"] : "1x1";
  const std::string resolution = resolutionFor(ratio);
  if (resolution.empty() || ratio.rfind("ASPECT_", 0) == 0)
    return error(400, "Invalid input: aspect_ratio \"" + ratio + "\" is not supported");
  if (fields.count("rendering_speed") && !kSpeeds.count(fields["rendering_speed"]))
    return error(400, "Invalid input: rendering_speed must be TURBO, DEFAULT or QUALITY");
  return generate(fields, resolution, "GENERAL");
}

FakeResponse FakeIdeogramApi::generateLegacy(const FakeRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("image_request") || !body["image_request"].is_object())
    return error(400, "Invalid input: image_request is required");
  std::map<std::string, std::string> fields;
  for (const auto& [key, value] : body["image_request"].items())
    fields[key] = value.is_string() ? value.get<std::string>() : value.dump();
  static const std::set<std::string> kModels = {"V_1",  "V_1_TURBO",  "V_2",
                                                "V_2_TURBO", "V_2A", "V_2A_TURBO"};
  if (fields.count("model") && !kModels.count(fields["model"]))
    return error(400, "Invalid input: unknown model " + fields["model"]);
  const std::string ratio = fields.count("aspect_ratio") ? fields["aspect_ratio"] : "ASPECT_1_1";
  const std::string resolution = resolutionFor(ratio);
  if (resolution.empty() || ratio.rfind("ASPECT_", 0) != 0)
    return error(400, "Invalid input: aspect_ratio \"" + ratio + "\" is not supported");
  return generate(fields, resolution, "AUTO");
}

FakeResponse FakeIdeogramApi::generate(const std::map<std::string, std::string>& fields,
                                       const std::string& resolution, const std::string& style) {
  std::lock_guard<std::mutex> lock(mutex_);
  last_fields_ = fields;
  const auto prompt = fields.find("prompt");
  if (prompt == fields.end() || prompt->second.empty())
    return error(400, "Invalid input: prompt is required");
  if (fields.count("num_images") && !isInteger(fields.at("num_images"), 1, 8))
    return error(400, "Invalid input: num_images must be from 1 to 8");
  if (fields.count("seed") && !isInteger(fields.at("seed"), 0, 2147483647))
    return error(400, "Invalid input: seed must be from 0 to 2147483647");
  if (safety_rejection_) return error(422, "Prompt or provided image failed the safety checks");
  const long long seed = fields.count("seed") ? std::atoll(fields.at("seed").c_str()) : 12345;
  json image = {{"prompt", prompt->second},
                {"resolution", resolution},
                {"is_image_safe", !unsafe_image_},
                {"seed", seed},
                {"style_type", style}};
  if (unsafe_image_)
    image["url"] = nullptr;
  else
    image["url"] = server_.baseUrl() + kImages + "/" + std::to_string(next_image_++) +
                   ".png?exp=1764150000&signature=fake";
  return jsonResponse(200,
                      {{"created", "2026-11-26T08:00:00.000000+00:00"}, {"data", json::array({image})}});
}

FakeResponse FakeIdeogramApi::download(const std::string& file) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto dot = file.find(".png");
  if (dot == std::string::npos || !isInteger(file.substr(0, dot), 1, next_image_ - 1))
    return error(404, "Not Found");
  return {200, image_, "image/png", {}, false};
}

void FakeIdeogramApi::setSafetyRejection(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  safety_rejection_ = on;
}
void FakeIdeogramApi::setUnsafeImage(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  unsafe_image_ = on;
}
void FakeIdeogramApi::setImage(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
}
void FakeIdeogramApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeIdeogramApi::setGarbage(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  garbage_ = on;
}
void FakeIdeogramApi::setHang(bool on) { server_.setHang(on); }
void FakeIdeogramApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeIdeogramApi::v3Generates() const { return server_.count("POST", kV3); }
int FakeIdeogramApi::legacyGenerates() const { return server_.count("POST", kLegacy); }
int FakeIdeogramApi::downloads() const {
  return server_.count("GET", std::string(kImages) + "/*");
}
int FakeIdeogramApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}
std::vector<std::string> FakeIdeogramApi::log() const { return server_.log(); }

std::string FakeIdeogramApi::lastApiKey() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST") return it->header("api-key");
  return "";
}

std::map<std::string, std::string> FakeIdeogramApi::lastFields() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_fields_;
}

bool FakeIdeogramApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
