#include "tests/fakes/fal_api.h"

#include <set>
#include <utility>

#include "tests/support/media_samples.h"

namespace aigate::testing {
namespace {

using nlohmann::json;

enum class Kind { kSubmit, kStatus, kResult, kCancel, kDownload, kOther };

struct Parsed {
  Kind kind = Kind::kOther;
  std::string model;  // kSubmit: the model id
  std::string app;    // kStatus, kResult, kCancel: the app id in the path
  std::string id;     // the request id, or the file name for kDownload
};

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> parts;
  size_t begin = path.empty() || path[0] != '/' ? 0 : 1;
  while (begin <= path.size()) {
    const size_t slash = path.find('/', begin);
    const std::string part = path.substr(begin, slash - begin);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string::npos) break;
    begin = slash + 1;
  }
  return parts;
}

std::string joined(const std::vector<std::string>& parts, size_t count) {
  std::string text;
  for (size_t i = 0; i < count; ++i) text += (i ? "/" : "") + parts[i];
  return text;
}

// What a request is, from its method and path alone.
Parsed classify(const std::string& method, const std::string& path) {
  const auto parts = segments(path);
  const size_t n = parts.size();
  Parsed p;
  if (method == "GET" && n == 2 && parts[0] == "files") return {Kind::kDownload, "", "", parts[1]};
  if (n >= 4 && parts[n - 3] == "requests" &&
      (parts[n - 1] == "status" || parts[n - 1] == "cancel")) {
    const bool status = parts[n - 1] == "status";
    if (method == (status ? "GET" : "PUT"))
      return {status ? Kind::kStatus : Kind::kCancel, "", joined(parts, n - 3), parts[n - 2]};
    return p;
  }
  if (n >= 3 && parts[n - 2] == "requests" && method == "GET")
    return {Kind::kResult, "", joined(parts, n - 2), parts[n - 1]};
  if (method == "POST" && n >= 2) return {Kind::kSubmit, joined(parts, n), "", ""};
  return p;
}

FakeResponse detail(int status, const std::string& message) {
  return jsonResponse(status, {{"detail", message}});
}

// FastAPI's answer to an input that does not fit the model's schema.
FakeResponse unprocessable(const std::string& field, const std::string& type,
                           const std::string& message) {
  return jsonResponse(
      422,
      {{"detail", json::array({{{"loc", {"body", field}}, {"msg", message}, {"type", type}}})}});
}

bool isVideoModel(const std::string& model) {
  return model.find("video") != std::string::npos || model.find("pika") != std::string::npos;
}

}  // namespace

FakeFalApi::FakeFalApi(std::string api_key, uint16_t port)
    : api_key_(std::move(api_key)),
      image_(samples::png(64, 64)),
      video_(samples::mp4()),
      server_([this](const FakeRequest& r) { return route(r); }, port) {}

FakeFalApi::~FakeFalApi() = default;

std::string FakeFalApi::baseUrl() const { return server_.baseUrl(); }

FakeResponse FakeFalApi::route(const FakeRequest& request) {
  const Parsed p = classify(request.method, request.path);
  if (p.kind == Kind::kDownload) return download(p.id);
  if (request.header("authorization") != "Key " + api_key_) {
    std::lock_guard<std::mutex> lock(mutex_);
    ++unauthorized_;
    return detail(401, "Authentication is required to access this application.");
  }
  switch (p.kind) {
    case Kind::kSubmit:
      return submit(p.model, request);
    case Kind::kStatus:
      return status(p.app, p.id);
    case Kind::kResult:
      return result(p.app, p.id);
    case Kind::kCancel:
      return cancel(p.app, p.id);
    default:
      return detail(404, "Not Found");
  }
}

FakeResponse FakeFalApi::submit(const std::string& model, const FakeRequest& request) {
  const auto parts = segments(model);
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object())
    return jsonResponse(
        422,
        {{"detail",
          json::array({{{"loc", {"body"}}, {"msg", "Invalid JSON"}, {"type", "json_invalid"}}})}});
  if (!body.contains("prompt")) return unprocessable("prompt", "missing", "Field required");
  if (!body["prompt"].is_string() || body["prompt"].get_ref<const std::string&>().empty())
    return unprocessable("prompt", "string_too_short", "String should have at least 1 character");
  const bool video = isVideoModel(model);
  if (model.find("pika") != std::string::npos) {
    static const std::set<std::string> kRatios = {"16:9", "9:16", "1:1", "4:5",
                                                  "5:4",  "3:2",  "2:3"};
    if (body.contains("aspect_ratio") && !(body["aspect_ratio"].is_string() &&
                                           kRatios.count(body["aspect_ratio"].get<std::string>())))
      return unprocessable("aspect_ratio", "enum",
                           "Input should be '16:9', '9:16', '1:1', '4:5', '5:4', '3:2' or '2:3'");
    if (body.contains("duration") && body["duration"] != 5 && body["duration"] != 10)
      return unprocessable("duration", "literal_error", "Input should be 5 or 10");
    if (body.contains("resolution") && body["resolution"] != "720p" &&
        body["resolution"] != "1080p")
      return unprocessable("resolution", "enum", "Input should be '720p' or '1080p'");
  } else if (!video && body.contains("image_size")) {
    static const std::set<std::string> kSizes = {
        "square_hd", "square", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"};
    const json& size = body["image_size"];
    if (!(size.is_string() && kSizes.count(size.get<std::string>())) &&
        !(size.is_object() && size.contains("width") && size.contains("height")))
      return unprocessable("image_size", "enum",
                           "Input should be 'square_hd', 'square', 'portrait_4_3', "
                           "'portrait_16_9', 'landscape_4_3' or 'landscape_16_9'");
  }

  std::lock_guard<std::mutex> lock(mutex_);
  const std::string id = "5b2b1e0c-fa1c-4e7d-9b0a-" + std::to_string(100000000000 + next_id_++);
  Request& r = requests_[id];
  r.model = model;
  r.app = joined(parts, 2);
  r.video = video;
  const std::string base = server_.baseUrl() + "/" + r.app + "/requests/" + id;
  return jsonResponse(200, {{"request_id", id},
                            {"response_url", base},
                            {"status_url", base + "/status"},
                            {"cancel_url", base + "/cancel"},
                            {"queue_position", 0}});
}

bool FakeFalApi::completed(const Request& r) const { return r.polls >= polls_before_done_; }

FakeResponse FakeFalApi::status(const std::string& app, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = requests_.find(id);
  if (it == requests_.end() || it->second.app != app) return detail(404, "Request not found");
  Request& r = it->second;
  if (completed(r))
    return jsonResponse(200, {{"status", "COMPLETED"},
                              {"request_id", id},
                              {"logs", nullptr},
                              {"metrics", {{"inference_time", 1.2}}}});
  const bool queued = r.polls == 0;
  ++r.polls;
  json answer = {{"status", queued ? "IN_QUEUE" : "IN_PROGRESS"}, {"request_id", id}};
  if (queued)
    answer["queue_position"] = 0;
  else
    answer["logs"] = nullptr;
  return jsonResponse(202, answer);
}

FakeResponse FakeFalApi::result(const std::string& app, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = requests_.find(id);
  if (it == requests_.end() || it->second.app != app) return detail(404, "Request not found");
  const Request& r = it->second;
  if (!completed(r)) return detail(400, "Request is still in progress");
  if (content_policy_)
    return jsonResponse(
        422, {{"detail",
               json::array({{{"loc", {"body", "prompt"}},
                             {"msg",
                              "The content could not be processed because it contained material "
                              "flagged by a content checker."},
                             {"type", "content_policy_violation"},
                             {"url", "https://docs.fal.ai/errors#content_policy_violation"}}})}});
  const std::string files = server_.baseUrl() + "/files/" + id;
  if (r.video)
    return jsonResponse(200, {{"video",
                               {{"url", files + ".mp4"},
                                {"content_type", "video/mp4"},
                                {"file_name", "output.mp4"},
                                {"file_size", video_.size()}}}});
  return jsonResponse(200, {{"images", json::array({{{"url", files + ".png"},
                                                     {"width", 64},
                                                     {"height", 64},
                                                     {"content_type", "image/png"}}})},
                            {"timings", {{"inference", 1.2}}},
                            {"seed", 7},
                            {"has_nsfw_concepts", json::array({false})}});
}

FakeResponse FakeFalApi::cancel(const std::string& app, const std::string& id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = requests_.find(id);
  if (it == requests_.end() || it->second.app != app) return detail(404, "Request not found");
  if (completed(it->second)) return jsonResponse(400, {{"status", "ALREADY_COMPLETED"}});
  it->second.canceled = true;
  return jsonResponse(202, {{"status", "CANCELLATION_REQUESTED"}});
}

FakeResponse FakeFalApi::download(const std::string& file) {
  const auto dot = file.rfind('.');
  if (dot == std::string::npos) return detail(404, "Not Found");
  const std::string id = file.substr(0, dot);
  const std::string ext = file.substr(dot + 1);
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = requests_.find(id);
  if (it == requests_.end() || !completed(it->second)) return detail(404, "Not Found");
  if (it->second.video && ext == "mp4") return {200, video_, "video/mp4", {}, false};
  if (!it->second.video && ext == "png") return {200, image_, "image/png", {}, false};
  return detail(404, "Not Found");
}

void FakeFalApi::setPollsBeforeDone(int n) {
  std::lock_guard<std::mutex> lock(mutex_);
  polls_before_done_ = n;
}

void FakeFalApi::setContentPolicy(bool on) {
  std::lock_guard<std::mutex> lock(mutex_);
  content_policy_ = on;
}

void FakeFalApi::setImage(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  image_ = std::move(bytes);
}

void FakeFalApi::setVideo(std::string bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  video_ = std::move(bytes);
}

void FakeFalApi::failNext(int count, int status, std::string body, FakeHeaders headers) {
  server_.failNext(count, status, std::move(body), std::move(headers));
}
// Every queue path starts with an owner segment; /files stays clean.
void FakeFalApi::setGarbage(bool on) { server_.setGarbage(on, "/fal-ai/"); }
void FakeFalApi::setHang(bool on) { server_.setHang(on); }
void FakeFalApi::setResponseDelayMs(int ms) { server_.setResponseDelayMs(ms); }

namespace {

int countKind(const std::vector<FakeRequest>& received, Kind kind) {
  int n = 0;
  for (const auto& r : received)
    if (classify(r.method, r.path).kind == kind) ++n;
  return n;
}

}  // namespace

int FakeFalApi::submits() const { return countKind(server_.received(), Kind::kSubmit); }
int FakeFalApi::statusPolls() const { return countKind(server_.received(), Kind::kStatus); }
int FakeFalApi::results() const { return countKind(server_.received(), Kind::kResult); }
int FakeFalApi::cancels() const { return countKind(server_.received(), Kind::kCancel); }
int FakeFalApi::downloads() const { return countKind(server_.received(), Kind::kDownload); }

int FakeFalApi::unauthorized() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return unauthorized_;
}

std::vector<std::string> FakeFalApi::log() const { return server_.log(); }

std::string FakeFalApi::lastAuthorization() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (classify(it->method, it->path).kind != Kind::kDownload) return it->header("authorization");
  return "";
}

std::string FakeFalApi::lastSubmitPath() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (classify(it->method, it->path).kind == Kind::kSubmit) return it->path;
  return "";
}

json FakeFalApi::lastSubmitBody() const {
  const auto received = server_.received();
  for (auto it = received.rbegin(); it != received.rend(); ++it)
    if (classify(it->method, it->path).kind == Kind::kSubmit)
      return json::parse(it->body, nullptr, false);
  return nullptr;
}

bool FakeFalApi::waitFor(const std::function<bool()>& predicate, int timeout_ms) const {
  return server_.waitFor(predicate, timeout_ms);
}

}  // namespace aigate::testing
