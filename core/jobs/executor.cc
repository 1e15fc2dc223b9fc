// The job executor's thread and its public face: the loop (libcurl transfers,
// posted tasks, timers and deadlines) and the Executor methods that post work
// to it from any thread. Starting jobs and walking their provider chain are in
// executor_chain.cc, ending them in executor_outputs.cc.
#include "core/jobs/executor.h"

#include "core/common/log.h"
#include "core/jobs/executor_loop.h"

#include <algorithm>
#include <iostream>

namespace aigate::jobs {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A job whose only news is "running" (no provider state to lose yet) is
// written when it runs this long; a quick one only when it ends.
constexpr int64_t kLazySaveMs = 1000;

}  // namespace

std::string truncateUtf8(const std::string& s, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max_chars)
      return s.substr(0, i) + "…";
  }
  return s;
}

ExecutorOptions executorOptions(const config::Config& cfg) {
  ExecutorOptions o;
  o.workers = cfg.generation.workers;
  o.max_attempts = cfg.generation.max_attempts;
  o.retry_base_ms = cfg.generation.retry_base_ms;
  o.max_output_bytes = cfg.generation.max_output_bytes;
  o.share_generated = cfg.generation.share_generated;
  return o;
}

Executor::Loop::Loop(Executor& e) : ex(e), multi(curl_multi_init()) {}

Executor::Loop::~Loop() {
  for (auto& [id, a] : jobs)
    if (a->transfer) curl_multi_remove_handle(multi, a->transfer->handle());
  for (auto& t : detached) curl_multi_remove_handle(multi, t->handle());
  curl_multi_cleanup(multi);
}

Executor::Active* Executor::Loop::find(const std::string& id) {
  auto it = jobs.find(id);
  return it == jobs.end() ? nullptr : it->second.get();
}

void Executor::Loop::save(Active& a) {
  a.unsaved_since = 0;
  ex.store_.write([job = a.job](store::Conn& c) {
    saveJob(c, job);
    return Status::Ok();
  }, [](const Status&) {});
}

// --- the clock ---------------------------------------------------------------

int64_t Executor::Loop::tick() {
  const int64_t now = unixMillis();
  int64_t next = 1000;
  std::vector<std::string> due;
  for (auto& [id, a] : jobs) {
    if (a->unsaved_since != 0 && now - a->unsaved_since >= kLazySaveMs &&
        a->phase != Active::Phase::kFinishing)
      save(*a);
    // A download is bounded by its own timeout, within the job's deadline.
    if (a->phase == Active::Phase::kFinishing || a->phase == Active::Phase::kStepping ||
        a->phase == Active::Phase::kDownload)
      continue;
    if (now >= a->entry_deadline_ms ||
        (a->phase == Active::Phase::kTimer && now >= a->timer_at)) {
      due.push_back(id);
      continue;
    }
    next = std::min(next, a->entry_deadline_ms - now);
    if (a->phase == Active::Phase::kTimer) next = std::min(next, a->timer_at - now);
  }
  for (const auto& id : due) {
    Active* a = find(id);
    if (!a) continue;
    if (now >= a->job.deadline_ms) {
      dropTransfer(*a);
      expire(*a);
      continue;
    }
    if (now >= a->entry_deadline_ms) {
      entryTimeout(*a);
      continue;
    }
    const json event = std::move(a->timer_event);
    const std::string retry = event.value("retry", "");
    if (retry == "http") {
      auto request = http::requestFromJson(a->job.pending.value("request", json()));
      if (request) {
        send(*a, *request);
        continue;
      }
    }
    if (retry == "http" || retry == "start") {
      if (ex.health_) ex.health_->begin(a->breaker, now);
      startProvider(*a);
      continue;
    }
    feed(*a, {{"event", "timer"}});
  }
  const auto steady_now = Clock::now();
  for (auto it = watchers.begin(); it != watchers.end();) {
    if (it->until <= steady_now) {
      Watcher w = std::move(it->watcher);
      it = watchers.erase(it);
      w(std::nullopt);
    } else {
      next = std::min<int64_t>(
          next, std::chrono::duration_cast<std::chrono::milliseconds>(it->until - steady_now).count() + 1);
      ++it;
    }
  }
  return std::max<int64_t>(next, 0);
}

void Executor::Loop::releaseWatchers() {
  auto all = std::move(watchers);
  watchers.clear();
  for (auto& w : all) w.watcher(std::nullopt);
}

void Executor::Loop::run() {
  std::vector<std::function<void()>> tasks;  // swapped with the inbox: no allocation per turn
  while (true) {
    tasks.clear();
    {
      std::lock_guard lock(ex.mutex_);
      if (ex.stopping_) break;
      tasks.swap(ex.inbox_);
    }
    log::HoldLines lines;  // this turn's log lines, written together
    for (auto& task : tasks) task();
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      void* priv = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
      onTransferDone(static_cast<http::Transfer*>(priv), msg->data.result);
    }
    const int64_t wait_ms = tick();
    {
      std::lock_guard lock(ex.mutex_);
      if (ex.stopping_) break;
      if (!ex.inbox_.empty()) continue;
    }
    lines.flush();  // before waiting
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait_ms), nullptr);
  }
  releaseWatchers();
  for (auto& [id, a] : jobs)
    for (auto& w : a->cancel_waiters) w(std::nullopt);
}

Executor::Executor(ExecutorOptions options, store::Store& store, storage::AssetStorage& storage,
                   std::shared_ptr<const Providers> providers)
    : options_(options), store_(store), storage_(storage), providers_(std::move(providers)) {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!curl_ready) throw std::runtime_error("libcurl failed to initialise");
  loop_ = std::make_unique<Loop>(*this);
}

Executor::~Executor() { stop(); }

void Executor::start() {
  if (started_) return;
  started_ = true;
  std::vector<Job> unfinished;
  auto status = store_.writeSync([&](store::Conn& c) {
    const int released = releaseOrphanHolds(c);
    if (released > 0)
      std::cerr << "aigate: released " << released << " hold(s) no unfinished job owns" << std::endl;
    unfinished = activeJobs(c);
    return Status::Ok();
  });
  if (!status) throw std::runtime_error("cannot load unfinished jobs: " + status.error().message());
  for (int i = 0; i < std::max(1, options_.workers); ++i) workers_.emplace_back([this] { workerLoop(); });
  for (auto& job : unfinished)
    post([this, job = std::move(job)]() mutable { loop_->add(std::move(job), true); });
  if (!unfinished.empty())
    std::cerr << "aigate: resuming " << unfinished.size() << " unfinished job(s)" << std::endl;
  thread_ = std::thread([this] { loop(); });
}

void Executor::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  curl_multi_wakeup(loop_->multi);
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(pool_mutex_);
    pool_stopping_ = true;
  }
  pool_wake_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
  // Writes queued by this executor call back into it: let them finish first.
  (void)store_.writeSync([](store::Conn&) { return Status::Ok(); });
  {
    std::lock_guard lock(mutex_);
    inbox_.clear();
  }
}

void Executor::loop() { loop_->run(); }

void Executor::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    inbox_.push_back(std::move(task));
  }
  curl_multi_wakeup(loop_->multi);
}

bool Executor::runOnPool(std::function<void()> task) {
  {
    std::lock_guard lock(pool_mutex_);
    if (pool_stopping_) return false;
    pool_queue_.push_back(std::move(task));
  }
  pool_wake_.notify_one();
  return true;
}

void Executor::workerLoop() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(pool_mutex_);
      pool_wake_.wait(lock, [&] { return pool_stopping_ || !pool_queue_.empty(); });
      if (pool_stopping_) return;
      task = std::move(pool_queue_.front());
      pool_queue_.pop_front();
    }
    task();
  }
}

void Executor::submit(Job job) {
  post([this, job = std::move(job)]() mutable { loop_->add(std::move(job), false); });
}

void Executor::watch(const std::string& job_id, std::chrono::steady_clock::time_point until,
                     Watcher watcher) {
  auto shared = std::make_shared<Watcher>(std::move(watcher));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      (*shared)(std::nullopt);
      return;
    }
  }
  post([this, job_id, until, shared] {
    if (!loop_->find(job_id)) return (*shared)(std::nullopt);
    loop_->watchers.push_back({job_id, until, std::move(*shared)});
  });
}

void Executor::cancel(const std::string& job_id, Watcher done) {
  auto shared = std::make_shared<Watcher>(std::move(done));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      (*shared)(std::nullopt);
      return;
    }
  }
  post([this, job_id, shared] {
    Active* a = loop_->find(job_id);
    if (!a) return (*shared)(std::nullopt);
    a->cancel_waiters.push_back(std::move(*shared));
    if (a->phase == Active::Phase::kFinishing || a->cancel_requested) return;
    if (a->phase == Active::Phase::kStepping) {
      a->cancel_requested = true;  // acted on when the step answers
      return;
    }
    loop_->doCancel(*a);
  });
}

void Executor::releaseWatchers() {
  post([this] { loop_->releaseWatchers(); });
}

}  // namespace aigate::jobs
