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

#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <cstdint>
#include <vector>

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
  uint16_t port() const { return static_cast<uint16_t>(port_); }

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
  struct Request {
    std::string method;
    std::string path;                            // without the query
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    bool keep_alive = true;
  };
  struct Response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
  };
  class RequestReader;  // HTTP/1.1 request parsing, in hello_api.cc
  struct Job {
    int polls = 0;
    bool canceled = false;
  };
  struct Connection {
    std::thread thread;
    bool finished = false;  // Guarded by mutex_
  };

  void acceptLoop();
  void serve(int fd, Connection* connection);
  // Counts and logs `request`, then waits out a hang or delay. Returns false
  // when the connection must be closed instead of answered.
  bool admit(const Request& request);
  Response answer(const Request& request);
  Response submit(const Request& request);     // REQUIRES: mutex_ held
  Response poll(const std::string& id);        // REQUIRES: mutex_ held
  Response cancel(const std::string& id);      // REQUIRES: mutex_ held
  Response download(const std::string& path);  // REQUIRES: mutex_ held

  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // written once at shutdown; read end stays readable
  int port_ = 0;
  std::thread accept_thread_;
  std::list<Connection> connections_;  // Owned by accept_thread_, then by the destructor

  mutable std::mutex mutex_;
  std::condition_variable changed_;  // hang ended, or stopping
  // Guarded by mutex_
  bool stopping_ = false;
  int polls_before_done_ = 1;
  std::string final_failure_;
  int fail_count_ = 0;
  int fail_status_ = 500;
  bool garbage_ = false;
  bool hang_ = false;
  int delay_ms_ = 0;
  std::string image_;
  std::string image_mime_ = "image/png";
  int image_width_ = 1;
  int image_height_ = 1;
  std::map<std::string, Job> jobs_;
  int submits_ = 0;
  int polls_ = 0;
  int cancels_ = 0;
  int downloads_ = 0;
  std::vector<std::string> log_;
  std::string last_authorization_;
};

}  // namespace aigate::testing
