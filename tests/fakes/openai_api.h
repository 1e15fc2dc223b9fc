// A fake of the OpenAI Images API (plugins/openai_images) for integration
// tests, on the generic FakeServer (fake_server.h). It speaks the wire format
// of the real API (openai npm package 6.x types, resources/images.d.ts):
//
//   POST /v1/images/generations  {model (default "dall-e-2"), prompt, n, size, quality,
//                                 response_format, output_format, …}
//     → 200 {created, data: [{b64_json} | {url}, revised_prompt?], output_format?,
//            quality?, size?, usage?}   (GPT image models: always b64_json, the extra
//                                        fields and usage; DALL·E: url unless
//                                        response_format is "b64_json")
//   GET  /files/{name}.png        → the image behind a DALL·E url (no auth, like
//                                   OpenAI's signed blob URLs)
//
// It checks what OpenAI checks: the Bearer key (missing → 401 code null,
// wrong → 401 "invalid_api_key"), the model, the size for the model, n,
// response_format/output_format/quality for the model, the prompt's length;
// errors are {"error": {message, type, param, code}}. A prompt containing the
// blocked word is refused as the safety system does (400 "moderation_blocked"
// for GPT image models, "content_policy_violation" for DALL·E). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_server.h"

namespace aigate::testing {

class FakeOpenAiApi {
 public:
  // Accepts `api_key` only. Listens on 127.0.0.1:`port` (0: a free one).
  explicit FakeOpenAiApi(std::string api_key = "sk-test", uint16_t port = 0);
  FakeOpenAiApi(const FakeOpenAiApi&) = delete;
  FakeOpenAiApi& operator=(const FakeOpenAiApi&) = delete;

  std::string baseUrl() const { return server_.baseUrl(); }  // "http://127.0.0.1:<port>"

  // Behaviour; may change while requests are in flight.
  void setImage(std::string bytes);       // the image of every answer (default a 64x64 PNG)
  void setBlockedWord(std::string word);  // "" (default): nothing is refused
  // The next `count` requests answer 429 rate_limit_exceeded with
  // "retry-after-ms: <ms>" and "retry-after: <ceil(ms/1000)>".
  void rateLimitNext(int count, int retry_after_ms);
  void failNext(
      int count, int status,
      std::string body =
          R"({"error":{"message":"injected","type":"server_error","param":null,"code":null}})",
      FakeHeaders headers = {});
  void setGarbage(bool on);  // /v1 answers 200 "<html>not json"
  void setHang(bool on);
  void setResponseDelayMs(int ms);

  // Observations: requests are counted once read, whether answered or not.
  int generations() const;  // POST /v1/images/generations
  int downloads() const;    // GET /files/...
  int requests() const;
  std::vector<std::string> log() const;
  std::string lastAuthorization() const;  // of the last /v1 request
  nlohmann::json lastBody() const;        // of the last /v1 request (discarded if not JSON)
  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  FakeResponse generate(const FakeRequest& request);
  FakeResponse download(const std::string& name);

  const std::string api_key_;
  mutable std::mutex mutex_;
  // Guarded by mutex_
  std::string image_;
  std::string blocked_word_;
  int next_id_ = 0;
  std::vector<std::string> files_;  // names served under /files/

  // Last: destroyed first, so no handler runs on the state above once it goes.
  FakeServer server_;
};

}  // namespace aigate::testing
