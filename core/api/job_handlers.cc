// GET and DELETE /api/v1/jobs/{id}: a job as its owner sees it, and cancel.
// Another user's job is 404, exactly like one that does not exist.
#include "core/api/app.h"
#include "core/credits/ledger.h"
#include "core/jobs/executor.h"
#include "core/library/catalog.h"

namespace aigate::api {
namespace {

Error noSuchJob(const std::string& id) {
  return Error(ErrorCode::kNotFound, "No job " + id + ".");
}

Reply jobReply(App& app, const std::string& base_url, const jobs::Job& job) {
  auto& reader = app.store().reader();
  std::optional<library::Asset> asset;
  if (job.asset_id) asset = library::findAsset(reader, *job.asset_id);
  auto balance = credits::balanceOf(reader, job.user_id);
  return Reply::json(200, {{"job", jobs::jobJson(job, asset, base_url)},
                           {"credits_balance", balance ? balance->available() : 0}});
}

Outcome getJob(Context& ctx) {
  auto job = jobs::findJob(ctx.app.store().reader(), ctx.param(0));
  if (!job || job->user_id != ctx.caller->user.id) return noSuchJob(ctx.param(0));
  return jobReply(ctx.app, ctx.app.baseUrl(ctx.req), *job);
}

Outcome cancelJob(Context& ctx) {
  auto job = jobs::findJob(ctx.app.store().reader(), ctx.param(0));
  if (!job || job->user_id != ctx.caller->user.id) return noSuchJob(ctx.param(0));
  const std::string base_url = ctx.app.baseUrl(ctx.req);
  if (!job->active()) return jobReply(ctx.app, base_url, *job);
  return Deferred([&app = ctx.app, id = job->id, base_url](std::function<void(Reply)> send) {
    // A job no executor runs (none here, or it ended meanwhile) is settled
    // directly in the store; endJob() is a no-op on a final job.
    auto settleHere = [&app, id, base_url, send] {
      app.store().write(
          [id](store::Conn& c) {
            jobs::endJob(c, id, "canceled", "", "", "");
            return Status::Ok();
          },
          [&app, id, base_url, send](const Status& status) {
            auto job = jobs::findJob(app.store().reader(), id);
            if (!status || !job)
              return send(Reply::fromError(Error(ErrorCode::kInternalError,
                                                 "Could not cancel the job " + id + ".")));
            send(jobReply(app, base_url, *job));
          });
    };
    jobs::Executor* executor = app.executor();
    if (!executor) return settleHere();
    executor->cancel(id, [&app, base_url, send, settleHere](std::optional<jobs::Job> job) {
      if (!job) return settleHere();
      send(jobReply(app, base_url, *job));
    });
  });
}

}  // namespace

void addJobRoutes(Router& router) {
  router.add({Method::kGet, "/api/v1/jobs/{id}", Access::kUser, getJob});
  router.add({Method::kDelete, "/api/v1/jobs/{id}", Access::kUser, cancelJob});
}

}  // namespace aigate::api
