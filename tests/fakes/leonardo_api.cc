#include "tests/fakes/leonardo_api.h"

#include <cstdio>
#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

constexpr const char* kApi = "/api/rest/v1";

FakeResponse error(int status, const std::string& message, const std::string& code,
                   const std::string& path = "$") {
  return jsonResponse(status, {{"error", message}, {"path", path}, {"code", code}});
}

// Models that need "contrast": Phoenix 1.0 / 0.9, Lucid Origin / Realism.
const std::set<std::string>& contrastModels() {
  static const std::set<std::string> kModels = {
      "de7d3faf-762f-48e0-b3b7-9d0ac3a3fcf3", "6b645e3a-d64f-4341-a6d8-7a3690fbf042",
      "7b592283-e8a7-4c5a-9ba6-d18c31f258b9", "05ce0082-2d80-4a2d-8653-4d1c85e2418e"};
  return kModels;
}

std::string extensionOf(const std::string& mime) {
  if (mime == "image/jpeg") return "jpg";
  if (mime == "image/webp") return "webp";
  return "png";
}

}  // namespace

FakeLeonardoApi::FakeLeonardoApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      server_(FakeRoutes()
                  .on("POST", std::string(kApi) + "/generations",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [&] { return submit(r); });
                      })
                  .on("GET", std::string(kApi) + "/generations/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return poll(p.at("id")); });
                      })
                  .on("DELETE", std::string(kApi) + "/generations/{id}",
                      [this](const FakeRequest& r, const FakeRoutes::Params& p) {
                        return guarded(r, [&] { return remove(p.at("id")); });
                      })
                  .on("*", std::string(kApi) + "/*",
                      [this](const FakeRequest& r, const FakeRoutes::Params&) {
                        return guarded(r, [] { return error(404, "not found", "not-found"); });
                      })
                  .on("GET", "/cdn/generations/{id}/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& p) {
                        return download(p.at("id"), p.at("file"));
                      }),
              port) {}

FakeLeonardoApi::~FakeLeonardoApi() = default;

std::string FakeLeonardoApi::baseUrl() const { return server_.baseUrl() + kApi; }

FakeResponse FakeLeonardoApi::guarded(const FakeRequest& request,
                                      const std::function<FakeResponse()>& route) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (request.bearerToken() != api_key_) {
    ++unauthorized_;
    return error(401, "Invalid or expired API key", "access-denied");
  }
  if (garbage_) return {200, "<html>not json", "text/html", {}, false};
  return route();
}

// REQUIRES: mutex_ held (through guarded)
FakeResponse FakeLeonardoApi::submit(const FakeRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return error(400, "invalid JSON body", "parse-failed");
  if (!body.contains("prompt") || !body["prompt"].is_string() ||
      body["prompt"].get_ref<const std::string&>().empty())
    return error(400, "expected a non-empty string for prompt", "invalid-input", "$.prompt");
  for (const char* side : {"width", "height"}) {
    if (!body.contains(side)) continue;
    const json& v = body[side];
    if (!v.is_number_integer() || v.get<int>() < 32 || v.get<int>() > 1536 || v.get<int>() % 8)
      return error(400,
                   std::string("Invalid ") + side + ": must be a multiple of 8 between 32 and 1536",
                   "invalid-input", std::string("$.") + side);
  }
  if (body.contains("num_images") &&
      (!body["num_images"].is_number_integer() || body["num_images"].get<int>() < 1 ||
       body["num_images"].get<int>() > 8))
    return error(400, "num_images must be between 1 and 8", "invalid-input", "$.num_images");
  if (body.contains("seed") && !body["seed"].is_number_integer())
    return error(400, "expected an integer for seed", "parse-failed", "$.seed");
  const std::string model = body.value("modelId", std::string());
  if (contrastModels().count(model)) {
    const json& c = body.contains("contrast") ? body["contrast"] : json();
    if (!c.is_number() ||
        (c.get<double>() != 3.0 && c.get<double>() != 3.5 && c.get<double>() != 4.0))
      return error(400, "contrast is required for this model and must be 3, 3.5 or 4",
                   "invalid-input", "$.contrast");
  }
  if (moderation_)
    return error(400,
                 "This request has been flagged by our content moderation filter. Please adjust "
                 "your prompt.",
                 "content_moderation");
  char id[40];
  std::snprintf(id, sizeof id, "5d0e3a11-0000-4000-8000-%012d", next_id_++);
  generations_[id].request = body;
  return jsonResponse(200, {{"sdGenerationJob", {{"generationId", id}, {"apiCreditCost", 16}}}});
}

// REQUIRES: mutex_ held (through guarded)
FakeResponse FakeLeonardoApi::poll(const std::string& id) {
  const auto it = generations_.find(id);
  if (it == generations_.end()) return jsonResponse(200, {{"generations_by_pk", nullptr}});
  Generation& g = it->second;
  std::string status;
  json images = json::array();
  if (g.polls < polls_before_done_) {
    status = "PENDING";
    ++g.polls;
  } else if (failed_) {
    status = "FAILED";
  } else {
    status = "COMPLETE";
    images.push_back({{"url", server_.baseUrl() + "/cdn/generations/" + id +
                                  "/Leonardo_Phoenix_10_image_0." + extensionOf(image_mime_)},
                      {"nsfw", nsfw_},
                      {"id", "9a1b2c3d-0000-4000-8000-" + id.substr(24)},
                      {"likeCount", 0},
                      {"motionMP4URL", nullptr},
                      {"generated_image_variation_generics", json::array()}});
  }
  const json& r = g.request;
  return jsonResponse(200, {{"generations_by_pk",
                             {{"id", id},
                              {"status", status},
                              {"generated_images", images},
                              {"modelId", r.value("modelId", std::string())},
                              {"prompt", r.value("prompt", std::string())},
                              {"imageWidth", r.value("width", 1024)},
                              {"imageHeight", r.value("height", 768)},
                              {"seed", r.contains("seed") ? r["seed"] : json(1234567)},
                              {"public", false},
                              {"sdVersion", "PHOENIX"},
                              {"createdAt", "2026-11-26T08:00:00.000"}}}});
}

// REQUIRES: mutex_ held (through guarded)
FakeResponse FakeLeonardoApi::remove(const std::string& id) {
  if (!generations_.erase(id)) return jsonResponse(200, {{"delete_generations_by_pk", nullptr}});
  return jsonResponse(200, {{"delete_generations_by_pk", {{"id", id}}}});
}

FakeResponse FakeLeonardoApi::download(const std::string& id, const std::string& file) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!generations_.count(id) || file != "Leonardo_Phoenix_10_image_0." + extensionOf(image_mime_))
    return error(404, "Not Found", "not-found");
  return {200, image_, image_mime_, {}, false};
}

void FakeLeonardoApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}
void FakeLeonardoApi::setModerationRejection(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  moderation_ = on;
}
void FakeLeonardoApi::setNsfw(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  nsfw_ = on;
}
void FakeLeonardoApi::setFailed(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  failed_ = on;
}
void FakeLeonardoApi::setImage(std::string bytes, std::string mime) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
}
void FakeLeonardoApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
void FakeLeonardoApi::setGarbage(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  garbage_ = on;
}
void FakeLeonardoApi::setHang(bool on) { server_.setHang(on); }
void FakeLeonardoApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

int FakeLeonardoApi::submits() const {
  return server_.count("POST", std::string(kApi) + "/generations");
}
int FakeLeonardoApi::polls() const {
  return server_.count("GET", std::string(kApi) + "/generations/{id}");
}
int FakeLeonardoApi::deletes() const {
  return server_.count("DELETE", std::string(kApi) + "/generations/{id}");
}
int FakeLeonardoApi::downloads() const { return server_.count("GET", "/cdn/*"); }
int FakeLeonardoApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}
std::vector<std::string> FakeLeonardoApi::log() const { return server_.log(); }

std::string FakeLeonardoApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind(kApi, 0) == 0) return it->header("authorization");
  return "";
}

nlohmann::json FakeLeonardoApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->method == "POST" && it->path == std::string(kApi) + "/generations")
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeLeonardoApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
