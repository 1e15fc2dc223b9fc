// The OpenAI-compatible API: POST /v1/images/generations takes OpenAI's Images
// API request and answers OpenAI's response, through the gateway's own path
// (generate.h: library first, credits, provider chain); GET /v1/models lists
// the models a caller may ask for. Same sk-aigate- keys; errors in OpenAI's
// shape (openai_errors.h). docs/openai-compat.md says what maps to what.
//
// `n` images are `n` results of one plan: distinct library matches first,
// then one job each; all are charged or held in one write (all or nothing),
// and the reply waits for every job. Jobs that fail, or that are not done
// within generation.image_wait_s (then canceled), are left out of `data` and
// not charged; when none is left the first failure is the error.
//
// Threading: the handlers run on a server thread and read library files
// there for b64_json (as /files does). Job watchers run on the executor
// thread; the reply to a generation is put together on the executor's pool,
// which reads the generated files.
#include "core/api/generate.h"
#include "core/api/json_body.h"
#include "core/credits/ledger.h"
#include "core/http/transfer.h"
#include "core/jobs/executor.h"
#include "core/library/catalog.h"
#include "core/limits/limits.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>

namespace aigate::api {
namespace {

using nlohmann::json;

constexpr int64_t kMaxImages = 4;
// The model that asks for nothing in particular: library first, then the
// gateway's routing. Every caller may use it.
constexpr const char* kAutoModel = "auto";

int64_t unixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// OpenAI's sizes, as the aspect ratios the gateway generates and matches.
std::optional<std::string> aspectRatioOfSize(const std::string& size) {
  static const std::pair<const char*, const char*> kSizes[] = {
      {"auto", "1:1"},      {"256x256", "1:1"},   {"512x512", "1:1"},
      {"1024x1024", "1:1"}, {"1792x1024", "16:9"}, {"1536x1024", "3:2"},
      {"1024x1792", "9:16"}, {"1024x1536", "2:3"}};
  for (const auto& [name, ratio] : kSizes)
    if (size == name) return ratio;
  return std::nullopt;
}

// A model a caller can name, and the provider that makes it.
struct ImageModel {
  std::string id;
  const jobs::Provider* provider;
};

// The models of the providers that make images (each plugin's `models` and
// `default_model`), in the configured order; a model offered twice goes to
// its first provider.
std::vector<ImageModel> imageModels(App& app) {
  std::vector<ImageModel> out;
  jobs::Executor* executor = app.executor();
  if (!executor) return out;
  std::set<std::string> seen;
  auto add = [&](const json& id, const jobs::Provider* p) {
    if (id.is_string() && id != kAutoModel && seen.insert(id.get<std::string>()).second)
      out.push_back({id.get<std::string>(), p});
  };
  for (const jobs::Provider* p : executor->providers().all()) {
    if (!p->supports("image")) continue;
    const json& d = p->plugin().description();
    if (auto models = d.find("models"); models != d.end() && models->is_array())
      for (const auto& m : *models) add(m, p);
    if (auto m = d.find("default_model"); m != d.end()) add(*m, p);
  }
  return out;
}

bool mayChooseModel(const Context& ctx) {
  return ctx.caller->user.tier_level >= ctx.app.config().features.smart_routing;
}

struct ImagesRequest {
  GenerateRequest generate;
  size_t n = 1;
  bool b64 = false;
};

// Reads OpenAI's request body. `model` is a routing hint for callers whose
// tier may route (403 below it), 404 when no provider offers it.
Result<ImagesRequest> readImagesRequest(Context& ctx) {
  auto body = parseJsonObject(ctx.req.body);
  if (!body) return body.error();
  Fields f(*body);
  auto prompt = f.string("prompt", true, 4 * kMaxPromptChars);
  auto model = f.string("model", false, 128);
  auto n = f.integer("n", false, 1, kMaxImages);
  auto size = f.string("size", false, 16);
  auto quality = f.string("quality", false, 16);
  auto format = f.string("response_format", false, 16);
  f.string("user", false, 256);
  if (!f.ok()) return f.error();
  if (auto checked = checkPromptLength(*prompt); !checked) return checked.error();

  ImagesRequest r;
  r.generate.prompt = *prompt;
  r.n = static_cast<size_t>(n.value_or(1));
  if (size) {
    auto ratio = aspectRatioOfSize(*size);
    if (!ratio)
      return Error::invalidField("size", "size must be one of 256x256, 512x512, 1024x1024, "
                                         "1792x1024, 1024x1792, 1536x1024, 1024x1536 or auto.");
    r.generate.aspect_ratio = *ratio;
  }
  static const std::set<std::string> kQualities = {"standard", "hd",   "low",
                                                   "medium",   "high", "auto"};
  if (quality && !kQualities.count(*quality))
    return Error::invalidField("quality",
                               "quality must be one of standard, hd, low, medium, high or auto.");
  if (format && *format != "url" && *format != "b64_json")
    return Error::invalidField("response_format", "response_format must be url or b64_json.");
  r.b64 = format && *format == "b64_json";

  if (model && *model != kAutoModel) {
    const auto models = imageModels(ctx.app);
    auto it = std::find_if(models.begin(), models.end(),
                           [&](const ImageModel& m) { return m.id == *model; });
    if (it == models.end())
      return Error(ErrorCode::kNotFound,
                   "The model " + *model + " does not exist here; GET /v1/models lists the "
                   "models you can use (\"auto\" lets the gateway choose).",
                   {{"field", "model"}});
    if (!mayChooseModel(ctx)) {
      const auto& cfg = ctx.app.config();
      const std::string tier = tierFor(cfg, cfg.features.smart_routing);
      return Error(ErrorCode::kFeatureNotIncluded,
                   "Choosing the model " + *model + " needs the " + tier +
                       " tier; use \"auto\" (or no model) to let the gateway choose.",
                   {{"field", "model"}, {"feature", "smart_routing"}, {"required_tier", tier}});
    }
    r.generate.hints.provider = it->provider->name();
    r.generate.hints.model = *model;
  }
  return r;
}

// One entry of `data`: the image as a URL or inline, and the prompt it was
// generated from (null for a library image, which was not).
Result<json> imageItem(App& app, const library::Asset& asset, const std::string& base_url,
                       bool b64, const std::optional<std::string>& revised_prompt) {
  json item = json::object();
  if (b64) {
    auto bytes = app.storage().read(asset.file, 0, asset.bytes);
    if (!bytes) return bytes.error();
    item["b64_json"] = http::encodeBase64(*bytes);
  } else {
    item["url"] = library::assetJson(asset, base_url)["url"];
  }
  item["revised_prompt"] = revised_prompt ? json(*revised_prompt) : json(nullptr);
  return item;
}

// Why a job gave no image, as the API's error.
Error jobError(const std::string& id, const std::optional<jobs::Job>& job, int wait_s) {
  if (!job) return Error(ErrorCode::kInternalError, "The job " + id + " vanished.");
  if (job->active())
    return Error(ErrorCode::kShuttingDown,
                 "The gateway stopped before the image was ready; the job resumes when it "
                 "starts again.",
                 {{"job_id", job->id}});
  if (job->status == "canceled")
    return Error(ErrorCode::kGenerationUnavailable,
                 "The image was not ready within " + std::to_string(wait_s) +
                     " s; it was canceled and not charged.",
                 {{"job_id", job->id}, {"provider", job->provider()}});
  const bool upstream = job->error_code == "upstream_error";
  return Error(upstream ? ErrorCode::kUpstreamError : ErrorCode::kGenerationUnavailable,
               job->error_message.empty() ? "The generation failed." : job->error_message,
               {{"provider", job->provider()},
                {"provider_error", job->provider_error},
                {"job_id", job->id}});
}

// The jobs of one request, answered together once every one has ended.
class ImageBatch : public std::enable_shared_from_this<ImageBatch> {
 public:
  struct Answer {
    std::string user_id;
    std::string prompt;
    std::string base_url;
    bool b64 = false;
    int wait_s = 0;
    int64_t created = 0;
    json data;                 // the library's images, charged already
    int64_t charged = 0;       // what they cost
  };

  ImageBatch(App& app, Answer answer, std::function<void(Reply)> send)
      : app_(app), answer_(std::move(answer)), send_(std::move(send)) {}

  // Runs `jobs` (their rows and holds committed) and watches them.
  void start(const std::vector<jobs::Job>& jobs) {
    jobs::Executor* executor = app_.executor();
    ids_.clear();
    for (const auto& job : jobs) ids_.push_back(job.id);
    finals_.assign(jobs.size(), std::nullopt);
    pending_ = jobs.size();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(answer_.wait_s);
    for (size_t i = 0; i < jobs.size(); ++i) {
      executor->submit(jobs[i]);
      executor->watch(jobs[i].id, until, [self = shared_from_this(), i](auto job) {
        self->onWatched(i, std::move(job));
      });
    }
  }

 private:
  // A job ended, or the wait did: a job still running is canceled, so that
  // nothing the client never gets is charged.
  void onWatched(size_t i, std::optional<jobs::Job> job) {
    if (job && !job->active()) return settle(i, std::move(job));
    job = jobs::findJob(app_.store().reader(), ids_[i]);
    if (!job || !job->active()) return settle(i, std::move(job));
    app_.executor()->cancel(ids_[i], [self = shared_from_this(), i](auto canceled) {
      if (!canceled) canceled = jobs::findJob(self->app_.store().reader(), self->ids_[i]);
      self->settle(i, std::move(canceled));
    });
  }

  void settle(size_t i, std::optional<jobs::Job> job) {
    {
      std::lock_guard lock(mutex_);
      finals_[i] = std::move(job);
      if (--pending_ > 0) return;
    }
    auto task = [self = shared_from_this()] { self->send_(self->reply()); };
    if (!app_.executor()->runOnPool(task)) task();
  }

  // The answer: every image made, or the first failure when there is none.
  Reply reply() {
    json data = answer_.data;
    int64_t charged = answer_.charged;
    std::optional<Error> failure;
    auto& reader = app_.store().reader();
    for (size_t i = 0; i < finals_.size(); ++i) {
      const auto& job = finals_[i];
      std::optional<library::Asset> asset;
      if (job && job->status == "succeeded" && job->asset_id)
        asset = job->asset ? *job->asset : library::findAsset(reader, *job->asset_id);
      if (!asset) {
        if (!failure) failure = jobError(ids_[i], job, answer_.wait_s);
        continue;
      }
      auto item = imageItem(app_, *asset, answer_.base_url, answer_.b64, answer_.prompt);
      if (!item) return Reply::fromError(item.error());
      data.push_back(std::move(*item));
      charged += job->cost;
    }
    auto balance = credits::balanceOf(reader, answer_.user_id);
    const int64_t available = balance ? balance->available() : 0;
    if (data.empty()) {
      Reply r = Reply::fromError(
          failure.value_or(Error(ErrorCode::kInternalError, "No image and no failure.")));
      r.body["credits_balance"] = available;
      return r;
    }
    return Reply::json(200, {{"created", answer_.created},
                             {"data", std::move(data)},
                             {"credits_charged", charged},
                             {"credits_balance", available}});
  }

  App& app_;
  const Answer answer_;
  const std::function<void(Reply)> send_;
  std::vector<std::string> ids_;  // set by start(), then read-only
  std::mutex mutex_;
  std::vector<std::optional<jobs::Job>> finals_;  // Guarded by mutex_
  size_t pending_ = 0;                            // Guarded by mutex_
};

Outcome imagesGenerations(Context& ctx) {
  const auto& cfg = ctx.app.config();
  auto request = readImagesRequest(ctx);
  if (!request) return request.error();
  auto plan = planGeneration(ctx, "image", request->generate, request->n);
  if (!plan) return plan.error();

  ImageBatch::Answer answer;
  answer.user_id = ctx.caller->user.id;
  answer.prompt = request->generate.prompt;
  answer.base_url = ctx.app.baseUrl(ctx.req);
  answer.b64 = request->b64;
  answer.wait_s = cfg.generation.image_wait_s;
  answer.created = unixSeconds();
  answer.data = json::array();
  std::vector<std::string> library_ids;
  std::vector<jobs::Job> jobs;
  int64_t cost = 0;
  for (auto& planned : *plan) {
    if (planned.job) {
      cost += planned.job->cost;
      jobs.push_back(std::move(*planned.job));
      continue;
    }
    auto item = imageItem(ctx.app, *planned.match->asset, answer.base_url, answer.b64, std::nullopt);
    if (!item) return item.error();
    answer.data.push_back(std::move(*item));
    library_ids.push_back(planned.match->asset->id);
    answer.charged += libraryPrice(cfg, "image");
  }
  cost += answer.charged;

  const int max_active = limits::tierLimits(cfg, ctx.caller->user.tier).concurrent_generations;
  return TxnHandler([&app = ctx.app, answer = std::move(answer), library_ids, jobs, cost, max_active,
                     price = libraryPrice(cfg, "image"),
                     request_id = ctx.req.request_id](store::Conn& c) -> Result<Reply> {
    // All or nothing, and a 402 that names the whole cost.
    auto balance = credits::balanceOf(c, answer.user_id);
    if (!balance) return balance.error();
    if (balance->available() < cost) return credits::insufficientCredits(cost, balance->available());
    for (const auto& id : library_ids) {
      auto charged = chargeLibraryAsset(c, answer.user_id, price, request_id, id, "image");
      if (!charged) return charged.error();
    }
    std::vector<jobs::Job> created;
    for (const auto& job : jobs) {
      auto row = jobs::createJob(c, job, max_active);
      if (!row) return row.error();
      created.push_back(std::move(*row));
    }
    if (created.empty())
      return Reply::json(200, {{"created", answer.created},
                               {"data", answer.data},
                               {"credits_charged", answer.charged}});
    // Recorded for an Idempotency-Key: the library's images and the jobs.
    json running = json::array();
    for (const auto& job : created) running.push_back(jobs::jobJson(job, std::nullopt, answer.base_url));
    Reply reply = Reply::json(202, {{"created", answer.created},
                                    {"data", answer.data},
                                    {"jobs", std::move(running)},
                                    {"credits_reserved", cost - answer.charged}});
    reply.after_commit = [&app, answer, created](Reply, std::function<void(Reply)> send) {
      std::make_shared<ImageBatch>(app, answer, std::move(send))->start(created);
    };
    return reply;
  });
}

// The modification time of `path` (unix seconds), 0 when it cannot be read.
int64_t fileTime(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_mtime) : 0;
}

// OpenAI's model list: "auto" for everyone; the providers' image models for
// callers whose tier may choose one. `created` is when the plugin (for "auto",
// the gateway) was built.
Outcome listModels(Context& ctx) {
  json data = json::array();
  data.push_back({{"id", kAutoModel},
                  {"object", "model"},
                  {"created", fileTime("/proc/self/exe")},
                  {"owned_by", "aigate"}});
  if (mayChooseModel(ctx)) {
    for (const auto& m : imageModels(ctx.app))
      data.push_back({{"id", m.id},
                      {"object", "model"},
                      {"created", fileTime(m.provider->plugin().path())},
                      {"owned_by", m.provider->name()}});
  }
  return Reply::json(200, {{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

void addOpenAiRoutes(Router& router) {
  router.add({Method::kPost, "/v1/images/generations", Access::kUser, imagesGenerations});
  router.add({Method::kGet, "/v1/models", Access::kUser, listModels});
}

}  // namespace aigate::api
