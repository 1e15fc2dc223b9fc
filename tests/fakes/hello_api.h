// A fake of the "hello" image API (examples/plugin-hello) for integration
// tests: real HTTP/1.1 on 127.0.0.1 with a free port, with knobs to make it
// slow, failing, hanging or talking nonsense, and counters of what it saw.
//
//   POST   /v1/images       {"prompt", "aspect_ratio"} → {"id": "img_N", "status": "queued"}
//   GET    /v1/images/{id}  → {"status": "running", "progress"} (setPollsBeforeDone times),
//                             then {"status": "succeeded", "url", "width", "height"}
//                             or {"status": "failed", "error"}
//   DELETE /v1/images/{id}  → {"id", "status": "canceled"}; later GETs answer "failed"/"canceled"
//   GET    /files/{id}.png  → the configured image (no Authorization needed)
//
// /v1 routes need an "Authorization" header with a credential (missing, blank
// or a bare "Bearer" → 401). Errors are {"error": {"message"}}. Every method
// is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/fakes/fake_server.h"

namespace aigate::testing {

class FakeHelloApi {
 public:
  // Starts listening on 127.0.0.1:`port` (0: a free one). Throws
  // std::runtime_error if it cannot.
  explicit FakeHelloApi(uint16_t port = 0);
  // Closes the listening socket and every connection (hanging or delayed
  // answers are abandoned) and joins every thread.
  ~FakeHelloApi();
  FakeHelloApi(const FakeHelloApi&) = delete;
  FakeHelloApi& operator=(const FakeHelloApi&) = delete;

  std::string baseUrl() const;  // "http://127.0.0.1:<port>"
  uint16_t port() const { return server_.port(); }

  // Behaviour; may change while requests are in flight.
  void setPollsBeforeDone(int n);           // "running" answers per job before its end (default 1)
  void setFinalFailure(std::string error);  // jobs end "failed" with `error`; "" = succeed
  void failNext(int count, int status);     // the next `count` requests answer `status`
  void setGarbage(bool on);                 // /v1 routes answer 200 "<html>not json"
  void setHang(bool on);                    // requests are read, never answered; when the
                                            // hang ends, those connections are closed
  void setResponseDelayMs(int ms);          // every answer waits this long first
  void setImage(std::string bytes, std::string mime, int width, int height);  // default 1x1 PNG

  // Observations: requests are counted once read, whether answered or not.
  int submits() const;                    // POST /v1/images
  int polls() const;                      // GET /v1/images/{id}
  int cancels() const;                    // DELETE /v1/images/{id}
  int downloads() const;                  // GET /files/...
  int requests() const;                   // all of them
  std::vector<std::string> log() const;   // "METHOD /path" of every request, in order
  std::string lastAuthorization() const;  // Authorization header of the last /v1 request

  // Re-checks `predicate` until it holds (true) or `timeout_ms` passes (false).
  // `predicate` may call this object's methods.
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  struct Job {
    int polls = 0;
    bool canceled = false;
  };

  FakeResponse submit(const FakeRequest& request);
  FakeResponse poll(const std::string& id);
  FakeResponse cancel(const std::string& id);
  FakeResponse download(const std::string& id);
  // 401 unless `request` carries a credential, as the real API does.
  static bool authorized(const FakeRequest& request);

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 1;
  std::string final_failure_;
  std::string image_;
  std::string image_mime_ = "image/png";
  int image_width_ = 1;
  int image_height_ = 1;
  std::map<std::string, Job> jobs_;

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
