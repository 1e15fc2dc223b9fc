// The job executor's Loop (executor_loop.h), ending jobs: the final write of
// a job's status, answering whoever waits, and turning a provider's output
// into a stored asset (downloaded, probed, stored and recorded with the job's
// end).
#include "core/jobs/executor_loop.h"

#include "core/common/clock.h"
#include "core/common/crypto.h"
#include "core/library/catalog.h"
#include "core/library/media_probe.h"

#include <algorithm>

namespace aigate::jobs {
namespace {

using nlohmann::json;

constexpr size_t kMaxTitleChars = 120;

}  // namespace

// --- the end of a job --------------------------------------------------------

Job Executor::Loop::ended(const Active& a, const std::string& status, const std::string& code,
                          const std::string& message, const std::string& provider_error) {
  Job job = a.job;
  job.status = status;
  job.error_code = code;
  job.error_message = message;
  job.provider_error = provider_error;
  job.pending = nullptr;
  job.next_at_ms.reset();
  job.updated_at = unixSeconds();
  if (status == "succeeded") {
    job.progress = 1;
    job.cost = job.entry().credits;
    job.byok = job.entry().credential == "byok";
  }
  return job;
}

void Executor::Loop::finish(Active& a, const std::string& status, const std::string& code,
                            const std::string& message, const std::string& provider_error) {
  dropTransfer(a);
  a.phase = Active::Phase::kFinishing;
  auto job = std::make_shared<Job>(ended(a, status, code, message, provider_error));
  ex.store_.write(
      [job](store::Conn& c) -> Status {
        if (!finishJob(c, *job)) return Error(ErrorCode::kInvalidRequest, "the job ended meanwhile");
        return Status::Ok();
      },
      [ex = &ex, job](const Status& status) { ex->loop_->postCompleted(std::move(job), status.ok()); });
}

void Executor::Loop::postCompleted(std::shared_ptr<Job> job, bool written) {
  ex.post([ex = &ex, job = std::move(job), written] {
    const std::string id = job->id;
    std::optional<Job> final_job;
    if (written) final_job = std::move(*job);
    else final_job = findJob(ex->store_.reader(), id);
    ex->loop_->completed(id, std::move(final_job));
  });
}

void Executor::Loop::completed(const std::string& id, std::optional<Job> job) {
  if (Active* a = find(id)) {
    for (auto& w : a->cancel_waiters) w(job);
    jobs.erase(id);
    ex.active_count_ = jobs.size();
  }
  for (auto it = watchers.begin(); it != watchers.end();) {
    if (it->job_id == id) {
      Watcher w = std::move(it->watcher);
      it = watchers.erase(it);
      w(job);
    } else {
      ++it;
    }
  }
}

void Executor::Loop::materialize(Active& a, json outputs) {
  if (!outputs.is_array() || outputs.empty() || !outputs[0].is_object())
    return onFail(a, "plugin_error", "the plugin finished without an output", false);
  closeAttempt(a, "succeeded", "");
  a.output = std::move(outputs[0]);
  const auto data = a.output.find("data_base64");
  const auto url = a.output.find("url");
  if ((data == a.output.end() || !data->is_string()) && url != a.output.end() && url->is_string()) {
    http::HttpRequest request;
    request.url = url->get<std::string>();
    request.timeout_ms = static_cast<int>(
        std::clamp<int64_t>(a.job.deadline_ms - unixMillis(), 1, ex.options_.download_timeout_ms));
    a.transfer = std::make_unique<http::Transfer>(request, ex.options_.max_output_bytes);
    if (!a.transfer->handle()) {
      a.transfer.reset();
      return outputFailed(a, "cannot create an HTTP transfer");
    }
    a.transfer->followRedirects(5);
    transfer_job[a.transfer.get()] = a.job.id;
    curl_multi_add_handle(multi, a.transfer->handle());
    a.phase = Active::Phase::kDownload;
    return;
  }
  settle(a, std::nullopt);
}

void Executor::Loop::onDownloaded(Active& a, Result<http::HttpResponse> response) {
  if (!response) return outputFailed(a, "downloading the output: " + response.error().message());
  if (response->status != 200)
    return outputFailed(a, "downloading the output: HTTP " + std::to_string(response->status));
  settle(a, std::move(response->body));
}

void Executor::Loop::outputFailed(Active& a, const std::string& message) {
  a.phase = Active::Phase::kStepping;
  a.output = nullptr;
  if (!a.job.attempt_log.empty()) a.job.attempt_log.back().erase("ended_at");
  onFail(a, "output_unavailable", message, true);
}

void Executor::Loop::settle(Active& a, std::optional<std::string> downloaded) {
  a.phase = Active::Phase::kFinishing;
  auto job = std::make_shared<Job>(ended(a, "succeeded", "", "", ""));
  ex.runOnPool([ex = &ex, job, output = std::move(a.output), downloaded = std::move(downloaded),
                provider = a.provider->name()]() mutable {
    auto asset = ex->loop_->storeOutput(*job, output, std::move(downloaded), provider);
    if (!asset) {
      ex->post([ex, id = job->id, error = asset.error()] {
        if (Active* a = ex->loop_->find(id)) ex->loop_->outputFailed(*a, error.message());
      });
      return;
    }
    ex->store_.write(
        [job, asset = std::move(asset.value())](store::Conn& c) -> Status {
          auto inserted = library::insertAsset(c, asset);
          job->asset_id = inserted.id;
          job->asset = std::make_shared<const library::Asset>(std::move(inserted.asset));
          if (!finishJob(c, *job)) return Error(ErrorCode::kInvalidRequest, "the job ended meanwhile");
          return Status::Ok();
        },
        [ex, job](const Status& status) { ex->loop_->postCompleted(job, status.ok()); });
  });
}

Result<library::Asset> Executor::Loop::storeOutput(const Job& job, const json& output,
                                                   std::optional<std::string> downloaded,
                                                   const std::string& provider) {
  const int64_t limit = ex.options_.max_output_bytes;
  std::string bytes;
  if (downloaded) {
    bytes = std::move(*downloaded);
  } else if (auto it = output.find("data_base64"); it != output.end() && it->is_string()) {
    if (static_cast<int64_t>(it->get_ref<const std::string&>().size()) / 4 * 3 > limit + 3)
      return Error(ErrorCode::kUpstreamError, "the output is larger than the limit");
    auto decoded = http::decodeBase64(it->get_ref<const std::string&>());
    if (!decoded) return Error(ErrorCode::kUpstreamError, "the output's data_base64 is not base64");
    bytes = std::move(*decoded);
  } else {
    return Error(ErrorCode::kUpstreamError, "the output has neither url nor data_base64");
  }
  std::string problem;
  auto info = library::probeMedia(bytes, &problem);
  if (!info) return Error(ErrorCode::kUpstreamError, "the output is not a media file we serve: " + problem);
  if (info->type != job.kind)
    return Error(ErrorCode::kUpstreamError, "the output is a " + info->type + ", not a " + job.kind);
  library::Asset asset;
  asset.sha256 = toHex(sha256(bytes));
  asset.file = storage::contentKey(asset.sha256, info->ext);
  if (auto stored = ex.storage_.putBytes(asset.file, bytes); !stored)
    return Error(ErrorCode::kInternalError, "storing the output: " + stored.error().message());
  const std::string prompt = job.request.value("prompt", std::string());
  asset.type = info->type;
  asset.mime = info->mime;
  asset.bytes = bytes.size();
  asset.title = truncateUtf8(prompt, kMaxTitleChars);
  asset.description = "Generated by " + provider + " from the prompt: " + prompt;
  asset.topic = job.request.value("topic", std::string());
  asset.aspect_ratio = library::bucketAspectRatio(info->width, info->height);
  asset.width = info->width;
  asset.height = info->height;
  asset.duration_s = info->duration_s;
  asset.source = "generated";
  asset.provider = provider;
  if (!ex.options_.share_generated) asset.owner_id = job.user_id;
  asset.prompt = prompt;
  return asset;
}

}  // namespace aigate::jobs
