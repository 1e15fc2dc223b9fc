#include "core/webhooks/dispatcher.h"

#include "core/metrics/gateway_metrics.h"

#include "core/common/clock.h"
#include "core/http/transfer.h"
#include "core/jobs/job.h"
#include "core/library/catalog.h"
#include "core/metrics/gateway_metrics.h"
#include "core/webhooks/outbox.h"
#include "core/webhooks/signature.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>

namespace aigate::webhooks {
namespace {

constexpr size_t kMaxErrorChars = 300;

// `text` cut to kMaxErrorChars bytes, as valid UTF-8 (a receiver's answer
// may be anything; the API shows it as JSON): bad bytes become '?'.
std::string truncated(const std::string& text) {
  std::string out;
  size_t i = 0;
  while (i < text.size() && out.size() < kMaxErrorChars) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80           ? 1
                          : (lead >> 5) == 0x6  ? 2
                          : (lead >> 4) == 0xE  ? 3
                          : (lead >> 3) == 0x1E ? 4
                                                : 0;
    bool valid = length > 0 && i + length <= text.size();
    for (size_t k = 1; valid && k < length; ++k)
      valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    out.append(text, i, length);
    i += length;
  }
  if (i < text.size()) out += "…";
  return out;
}

// A pending delivery as the worker needs it.
struct Due {
  int64_t seq = 0;
  std::string event_id;
  std::string event_type;
  std::string endpoint_id;  // "" for a job's own webhook_url
  bool endpoint_enabled = true;
  std::string url;
  std::string job_id;
  std::string payload;  // "" until the first attempt fixed it
  std::string secret;
  int attempts = 0;
  int64_t next_at_ms = 0;
  int64_t created_at = 0;
};

std::vector<Due> pendingDeliveries(store::Conn& c, int64_t limit) {
  auto& q = c.statement(
      "SELECT d.seq, d.event_id, d.event_type, d.endpoint_id, COALESCE(e.enabled, 1), d.url,"
      " d.job_id, d.payload, COALESCE(e.secret, s.secret, ''), d.attempts, d.next_at, d.created_at"
      " FROM webhook_deliveries d"
      " LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id"
      " LEFT JOIN webhook_secrets s ON d.endpoint_id IS NULL AND s.user_id = d.user_id"
      " WHERE d.status = 'pending' ORDER BY d.next_at LIMIT ?");
  q.bind(1, limit);
  std::vector<Due> out;
  while (q.executeStep()) {
    Due d;
    d.seq = q.getColumn(0).getInt64();
    d.event_id = q.getColumn(1).getString();
    d.event_type = q.getColumn(2).getString();
    d.endpoint_id = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
    d.endpoint_enabled = q.getColumn(4).getInt() != 0;
    d.url = q.getColumn(5).getString();
    d.job_id = q.getColumn(6).getString();
    d.payload = q.getColumn(7).isNull() ? "" : q.getColumn(7).getString();
    d.secret = q.getColumn(8).getString();
    d.attempts = q.getColumn(9).getInt();
    d.next_at_ms = q.getColumn(10).isNull() ? 0 : q.getColumn(10).getInt64();
    d.created_at = q.getColumn(11).getInt64();
    out.push_back(std::move(d));
  }
  return out;
}

// What an attempt came to, as written to the delivery's row.
struct Attempt {
  std::string status;   // pending (retry) | delivered | failed
  bool counted = true;  // false: nothing was sent (endpoint disabled)
  std::optional<long> http_status;
  std::string error;
  int64_t duration_ms = 0;
  std::optional<int64_t> next_at_ms;
  std::string payload;
  bool disable_endpoint = false;
};

void recordAttempt(store::Conn& c, const Due& due, const Attempt& a) {
  const int64_t now = unixSeconds();
  auto& q = c.statement(
      "UPDATE webhook_deliveries SET status = ?2, attempts = attempts + ?3, last_status = ?4,"
      " last_error = ?5, last_duration_ms = COALESCE(?6, last_duration_ms),"
      " last_attempt_at = CASE WHEN ?3 = 1 THEN ?7 ELSE last_attempt_at END, next_at = ?8,"
      " payload = COALESCE(payload, ?9), updated_at = ?7 WHERE seq = ?1 AND status = 'pending'");
  q.bind(1, due.seq);
  q.bind(2, a.status);
  q.bind(3, a.counted ? 1 : 0);
  if (a.http_status) q.bind(4, static_cast<int64_t>(*a.http_status));
  if (!a.error.empty()) q.bind(5, a.error);
  if (a.counted) q.bind(6, a.duration_ms);
  q.bind(7, now);
  if (a.next_at_ms) q.bind(8, *a.next_at_ms);
  if (!a.payload.empty()) q.bind(9, a.payload);
  q.exec();
  if (!a.disable_endpoint || due.endpoint_id.empty()) return;
  const std::string reason = "It answered 410 Gone to " + due.event_id + ".";
  auto& disable = c.statement(
      "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = ? WHERE id = ? AND enabled = 1");
  disable.bind(1, reason);
  disable.bind(2, due.endpoint_id);
  disable.exec();
  auto& fail = c.statement(
      "UPDATE webhook_deliveries SET status = 'failed', next_at = NULL, updated_at = ?,"
      " last_error = 'the endpoint was disabled (410 Gone)'"
      " WHERE endpoint_id = ? AND status = 'pending'");
  fail.bind(1, now);
  fail.bind(2, due.endpoint_id);
  fail.exec();
}

}  // namespace

DispatcherOptions dispatcherOptions(const config::Config& cfg, std::string base_url) {
  DispatcherOptions o;
  o.retry_schedule_s = cfg.webhooks.retry_schedule_s;
  o.timeout_ms = cfg.webhooks.timeout_ms;
  o.ssrf.allow_hosts = cfg.webhooks.allow_hosts;
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  o.base_url = std::move(base_url);
  return o;
}

std::optional<int64_t> retryDelayMs(const std::vector<int>& schedule_s, int attempts,
                                    std::mt19937_64& rng) {
  if (attempts < 1 || attempts > static_cast<int>(schedule_s.size())) return std::nullopt;
  const double base_ms = schedule_s[static_cast<size_t>(attempts - 1)] * 1000.0;
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return static_cast<int64_t>(base_ms * jitter(rng));
}

// The state of the dispatcher thread.
struct Dispatcher::Loop {
  struct Sending {
    Due due;
    std::string payload;
    std::unique_ptr<http::ConnectionPin> pin;  // outlives the transfer's handle
    std::unique_ptr<http::Transfer> transfer;
    std::chrono::steady_clock::time_point started;
  };

  Dispatcher& d;
  CURLM* multi;
  std::mt19937_64 rng{std::random_device{}()};
  std::map<CURL*, std::unique_ptr<Sending>> sending;

  Loop(Dispatcher& dispatcher, CURLM* m) : d(dispatcher), multi(m) {}

  ~Loop() {
    for (auto& [handle, s] : sending) curl_multi_remove_handle(multi, handle);
  }

  // Starts the due deliveries; returns when the next one not started is due.
  int64_t startDue() {
    const int64_t now = jobs::unixMillis();
    int64_t next = now + d.options_.poll_ms;
    std::set<int64_t> busy;
    {
      std::lock_guard lock(d.mutex_);
      busy = d.in_flight_;
    }
    int capacity = d.options_.max_in_flight - static_cast<int>(busy.size());
    if (capacity <= 0) return next;
    for (auto& due :
         pendingDeliveries(d.store_.reader(), static_cast<int64_t>(busy.size()) + capacity + 1)) {
      if (busy.count(due.seq)) continue;
      if (due.next_at_ms > now) {
        next = std::min(next, due.next_at_ms);
        break;
      }
      if (capacity-- <= 0) {
        next = now;
        break;
      }
      begin(std::move(due));
    }
    return next;
  }

  // The body of the event: the job and its asset as the API shows them.
  std::optional<std::string> render(const Due& due) {
    auto& reader = d.store_.reader();
    const auto job = jobs::findJob(reader, due.job_id);
    if (!job) return std::nullopt;
    std::optional<library::Asset> asset;
    if (job->asset_id) asset = library::findAsset(reader, *job->asset_id);
    const std::string& base = d.options_.base_url;
    nlohmann::json data = {
        {"job", jobs::jobJson(*job, asset, base)},
        {"asset", asset ? library::assetJson(*asset, base) : nlohmann::json(nullptr)}};
    return nlohmann::json{
        {"type", due.event_type}, {"timestamp", isoTime(due.created_at)}, {"data", std::move(data)}}
        .dump();
  }

  void begin(Due due) {
    {
      std::lock_guard lock(d.mutex_);
      d.in_flight_.insert(due.seq);
    }
    Attempt failed;
    failed.payload = due.payload;
    if (!due.endpoint_enabled) {
      failed.status = "failed";
      failed.counted = false;
      failed.error = "the endpoint is disabled";
      return record(std::move(due), std::move(failed));
    }
    std::string payload = due.payload;
    if (payload.empty()) {
      auto rendered = render(due);
      if (!rendered) {
        failed.status = "failed";
        failed.counted = false;
        failed.error = "the job " + due.job_id + " no longer exists";
        return record(std::move(due), std::move(failed));
      }
      payload = std::move(*rendered);
      failed.payload = payload;
    }
    auto vetted = http::vetUrl(due.url, d.options_.ssrf);
    if (!vetted) {
      failed.error = vetted.error().message();
      return retryOrFail(std::move(due), std::move(failed));
    }
    const int64_t timestamp = unixSeconds();
    http::HttpRequest request;
    request.method = "POST";
    request.url = vetted->url;
    request.body = payload;
    request.timeout_ms = d.options_.timeout_ms;
    request.headers = {{"content-type", "application/json"},
                       {"webhook-id", due.event_id},
                       {"webhook-timestamp", std::to_string(timestamp)},
                       {"webhook-signature", sign(due.secret, due.event_id, timestamp, payload)}};
    auto s = std::make_unique<Sending>();
    s->transfer = std::make_unique<http::Transfer>(request, d.options_.max_response_bytes);
    if (!s->transfer->handle()) {
      failed.error = "cannot create a curl handle";
      return retryOrFail(std::move(due), std::move(failed));
    }
    s->pin = std::make_unique<http::ConnectionPin>(s->transfer->handle(), *vetted);
    s->due = std::move(due);
    s->payload = std::move(payload);
    s->started = std::chrono::steady_clock::now();
    CURL* handle = s->transfer->handle();
    curl_multi_add_handle(multi, handle);
    sending.emplace(handle, std::move(s));
  }

  void finished(CURL* handle, CURLcode code) {
    auto it = sending.find(handle);
    if (it == sending.end()) return;
    std::unique_ptr<Sending> s = std::move(it->second);
    sending.erase(it);
    curl_multi_remove_handle(multi, handle);
    Attempt a;
    a.payload = s->payload;
    a.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - s->started)
                        .count();
    auto response = s->transfer->finish(code);
    if (!response) {
      a.error = response.error().message();
      return retryOrFail(std::move(s->due), std::move(a));
    }
    a.http_status = response->status;
    if (response->status >= 200 && response->status < 300) {
      a.status = "delivered";
      return record(std::move(s->due), std::move(a));
    }
    a.error = truncated("HTTP " + std::to_string(response->status) +
                        (response->body.empty() ? "" : ": " + response->body));
    if (response->status == 410) {
      a.status = "failed";
      a.disable_endpoint = true;
      return record(std::move(s->due), std::move(a));
    }
    retryOrFail(std::move(s->due), std::move(a));
  }

  void retryOrFail(Due due, Attempt a) {
    a.error = truncated(a.error);
    const auto delay = retryDelayMs(d.options_.retry_schedule_s, due.attempts + 1, rng);
    if (delay) {
      a.status = "pending";
      a.next_at_ms = jobs::unixMillis() + *delay;
    } else {
      a.status = "failed";
    }
    record(std::move(due), std::move(a));
  }

  // Writes the attempt; the delivery stays in flight until it is committed.
  void record(Due due, Attempt a) {
    if (a.counted) metrics::countWebhookDelivery(a.disable_endpoint ? "disabled" : a.status == "pending" ? "retry" : a.status);
    {
      std::lock_guard lock(d.mutex_);
      ++d.recording_;
    }
    const int64_t seq = due.seq;
    d.store_.write(
        [due = std::move(due), a = std::move(a)](store::Conn& c) -> Status {
          recordAttempt(c, due, a);
          return Status::Ok();
        },
        [dispatcher = &d, seq](const Status& status) {
          if (!status.ok())
            std::fprintf(stderr, "webhooks: cannot record an attempt: %s\n",
                         status.error().message().c_str());
          dispatcher->recorded(seq);
        });
  }
};

Dispatcher::Dispatcher(DispatcherOptions options, store::Store& store)
    : options_(std::move(options)), store_(store) {}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  static const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)curl_ready;
  {
    std::lock_guard lock(mutex_);
    if (multi_) return;
    multi_ = curl_multi_init();
  }
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void Dispatcher::stop() {
  stopping_ = true;
  wake();
  if (thread_.joinable()) thread_.join();
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return recording_ == 0; });
  in_flight_.clear();
  if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
  multi_ = nullptr;
}

void Dispatcher::wake() {
  std::lock_guard lock(mutex_);
  if (multi_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void Dispatcher::recorded(int64_t seq) {
  std::lock_guard lock(mutex_);
  in_flight_.erase(seq);
  --recording_;
  idle_.notify_all();
  if (multi_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

void Dispatcher::run() {
  auto* multi = static_cast<CURLM*>(multi_);
  Loop loop(*this, multi);
  while (!stopping_) {
    int64_t next_ms = jobs::unixMillis() + options_.poll_ms;
    try {
      next_ms = loop.startDue();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "webhooks: cannot read the outbox: %s\n", e.what());
    }
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued))
      if (msg->msg == CURLMSG_DONE) loop.finished(msg->easy_handle, msg->data.result);
    // Sleeps until a socket is ready, curl's own timer, wake(), or the next
    // due delivery; 0 only right after more deliveries were due than fit.
    const int64_t wait = std::clamp<int64_t>(next_ms - jobs::unixMillis(), 0, options_.poll_ms);
    curl_multi_poll(multi, nullptr, 0, static_cast<int>(wait), nullptr);
  }
}

}  // namespace aigate::webhooks
