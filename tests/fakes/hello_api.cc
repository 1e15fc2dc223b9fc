#include "tests/fakes/hello_api.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

namespace aigate::testing {
namespace {

using nlohmann::json;

// The smallest valid PNG: one transparent pixel.
constexpr unsigned char kPixelPng[] = {
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9C, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};

}  // namespace

FakeHelloApi::FakeHelloApi(uint16_t port)
    : image_(reinterpret_cast<const char*>(kPixelPng), sizeof kPixelPng),
      server_(FakeRoutes()
                  .on("POST", "/v1/images",
                      [this](const FakeRequest& request, const FakeRoutes::Params&) {
                        return authorized(request) ? submit(request)
                                                   : errorResponse(401, "missing api key");
                      })
                  .on("GET", "/v1/images/{id}",
                      [this](const FakeRequest& request, const FakeRoutes::Params& params) {
                        return authorized(request) ? poll(params.at("id"))
                                                   : errorResponse(401, "missing api key");
                      })
                  .on("DELETE", "/v1/images/{id}",
                      [this](const FakeRequest& request, const FakeRoutes::Params& params) {
                        return authorized(request) ? cancel(params.at("id"))
                                                   : errorResponse(401, "missing api key");
                      })
                  .on("GET", "/files/{file}",
                      [this](const FakeRequest&, const FakeRoutes::Params& params) {
                        return download(params.at("file"));
                      })
                  .on("*", "/v1/*",  // any other /v1 route still checks the key first
                      [](const FakeRequest& request, const FakeRoutes::Params&) {
                        return authorized(request) ? errorResponse(404, "no such route")
                                                   : errorResponse(401, "missing api key");
                      }),
              port) {}

FakeHelloApi::~FakeHelloApi() = default;

std::string FakeHelloApi::baseUrl() const { return server_.baseUrl(); }

bool FakeHelloApi::authorized(const FakeRequest& request) {
  std::string value = request.header("authorization");  // already trimmed
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return !value.empty() && value != "bearer";
}

FakeResponse FakeHelloApi::submit(const FakeRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("prompt") || !body["prompt"].is_string() ||
      body["prompt"].get_ref<const std::string&>().empty())
    return errorResponse(400, "the body must be JSON with a non-empty \"prompt\"");
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string id = "img_" + std::to_string(jobs_.size() + 1);
  jobs_[id] = Job{};
  return jsonResponse(200, {{"id", id}, {"status", "queued"}});
}

FakeResponse FakeHelloApi::poll(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return errorResponse(404, "no such image");
  Job& job = it->second;
  if (job.canceled)
    return jsonResponse(200, {{"id", id}, {"status", "failed"}, {"error", "canceled"}});
  if (job.polls < polls_before_done_) {
    ++job.polls;
    const double progress = static_cast<double>(job.polls) / (polls_before_done_ + 1);
    return jsonResponse(200, {{"id", id}, {"status", "running"}, {"progress", progress}});
  }
  if (!final_failure_.empty())
    return jsonResponse(200, {{"id", id}, {"status", "failed"}, {"error", final_failure_}});
  return jsonResponse(200, {{"id", id},
                            {"status", "succeeded"},
                            {"url", server_.baseUrl() + "/files/" + id + ".png"},
                            {"width", image_width_},
                            {"height", image_height_}});
}

FakeResponse FakeHelloApi::cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = jobs_.find(id);
  if (it == jobs_.end()) return errorResponse(404, "no such image");
  it->second.canceled = true;
  return jsonResponse(200, {{"id", id}, {"status", "canceled"}});
}

FakeResponse FakeHelloApi::download(const std::string& file) {
  const std::string suffix = ".png";
  std::lock_guard<std::mutex> lock(mutex_);
  if (file.size() > suffix.size() &&
      file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0 &&
      jobs_.count(file.substr(0, file.size() - suffix.size())))
    return {200, image_, image_mime_, {}, false};
  return errorResponse(404, "no such file");
}

void FakeHelloApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}

void FakeHelloApi::setFinalFailure(std::string error) {
  std::lock_guard<std::mutex> lock(mutex_);
  final_failure_ = std::move(error);
}

void FakeHelloApi::failNext(int count, int status) { server_.failNext(count, status); }
void FakeHelloApi::setGarbage(bool on) { server_.setGarbage(on, "/v1/"); }
void FakeHelloApi::setHang(bool on) { server_.setHang(on); }
void FakeHelloApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

void FakeHelloApi::setImage(std::string bytes, std::string mime, int width, int height) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
  image_mime_ = std::move(mime);
  image_width_ = width;
  image_height_ = height;
}

int FakeHelloApi::submits() const { return server_.count("POST", "/v1/images"); }
int FakeHelloApi::polls() const { return server_.count("GET", "/v1/images/{id}"); }
int FakeHelloApi::cancels() const { return server_.count("DELETE", "/v1/images/{id}"); }
int FakeHelloApi::downloads() const { return server_.count("GET", "/files/*"); }
int FakeHelloApi::requests() const { return server_.requests(); }
std::vector<std::string> FakeHelloApi::log() const { return server_.log(); }

std::string FakeHelloApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (it->path.rfind("/v1/", 0) == 0) return it->header("authorization");
  return "";
}

bool FakeHelloApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
