// A fake of Stability AI's Stable Image API v2beta (the wire format of
// platform.stability.ai's API reference) for the stability plugin's
// integration tests, on FakeServer:
//
//   POST /v2beta/stable-image/generate/{core,ultra,sd3}   multipart/form-data
//        prompt (required, 1..10000), aspect_ratio?, output_format?, seed?,
//        negative_prompt?, style_preset? (core), model? + mode? (sd3)
//     Accept: image/*          → 200 the image bytes (Content-Type image/<format>),
//                                headers finish-reason and seed
//     Accept: application/json → 200 {image: base64, finish_reason, seed}
//
// As Stability: every route needs "Authorization: Bearer <the key>" (else 401
// {id, name: "unauthorized", errors: […]}); a bad form is 400 {id, name:
// "bad_request", errors: ["<field>: …"]}; moderation is 403 {name:
// "content_moderation"} or, for a filtered output, 200 with finish-reason
// CONTENT_FILTERED. Every method is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/fakes/fake_server.h"

namespace aigate::testing {

class FakeStabilityApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  explicit FakeStabilityApi(std::string api_key, uint16_t port = 0);
  ~FakeStabilityApi();
  FakeStabilityApi(const FakeStabilityApi&) = delete;
  FakeStabilityApi& operator=(const FakeStabilityApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>".
  std::string baseUrl() const;

  enum class Moderation { kNone, kRejectPrompt /* 403 */, kFilterOutput /* CONTENT_FILTERED */ };
  void setModeration(Moderation m);
  // The image served (bytes, whatever output_format was asked); default a 64x64 PNG.
  void setImage(std::string bytes, std::string mime);
  void failNext(int count, int status,
                std::string body = R"({"id":"x","name":"internal_error","errors":["injected"]})",
                FakeHeaders headers = {});
  void setGarbage(bool on);
  void setHang(bool on);
  void setResponseDelayMs(int ms);

  // Observations.
  int generations() const;   // POST /v2beta/stable-image/generate/*
  int unauthorized() const;  // requests refused with 401
  std::vector<std::string> log() const;
  std::string lastAuthorization() const;
  std::string lastAccept() const;
  std::string lastPath() const;
  std::map<std::string, std::string> lastFields() const;  // the last form's fields

  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

  // Parses a multipart/form-data body's text fields; false when malformed.
  static bool parseMultipart(const std::string& content_type, const std::string& body,
                             std::map<std::string, std::string>* fields);

 private:
  FakeResponse generate(const FakeRequest& request, const std::string& endpoint);

  const std::string api_key_;
  mutable std::mutex mutex_;
  // Guarded by mutex_
  Moderation moderation_ = Moderation::kNone;
  std::string image_;
  std::string image_mime_ = "image/png";
  int unauthorized_ = 0;
  int next_id_ = 1;

  FakeServer server_;
};

}  // namespace aigate::testing
