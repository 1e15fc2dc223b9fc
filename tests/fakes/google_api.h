// A fake of the Gemini API v1beta (the wire format of the @google/genai 2.32
// SDK) for the google plugin's integration tests, on FakeServer:
//
//   POST /v1beta/models/{model}:generateContent     (gemini-*-image* models)
//        {contents: [{parts: [{text}]}], generationConfig: {responseModalities,
//         imageConfig: {aspectRatio}, seed?}}
//     → {candidates: [{content: {role: "model", parts: [{inlineData: {mimeType, data}}]},
//                      finishReason: "STOP", index: 0}], usageMetadata, modelVersion}
//       or, blocked: {promptFeedback: {blockReason: "PROHIBITED_CONTENT"}}
//   POST /v1beta/models/{model}:predictLongRunning  (veo-* models)
//        {instances: [{prompt}], parameters: {aspectRatio: 16:9 | 9:16, …}}
//     → {name: "models/{model}/operations/{id}"}
//   GET  /v1beta/models/{model}/operations/{id}
//     → {name} while running (setPollsBeforeDone polls), then {name, done: true,
//        response: {@type, generateVideoResponse: {generatedSamples: [{video: {uri}}]}}}
//        or with setVideoFiltered: {…generateVideoResponse: {raiMediaFilteredCount: 1,
//        raiMediaFilteredReasons: [reason]}}
//   GET  /v1beta/files/{id}:download?alt=media     → the MP4 (needs the key too)
//
// As Google: every route needs "x-goog-api-key" (or ?key=): none is 403
// PERMISSION_DENIED, a wrong one 400 INVALID_ARGUMENT with an ErrorInfo
// reason API_KEY_INVALID. Errors are {"error": {code, message, status}}.
// Every method is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/fakes/fake_server.h"

namespace aigate::testing {

class FakeGoogleApi {
 public:
  // Serves on 127.0.0.1:`port` (0: a free one), accepting `api_key` only.
  explicit FakeGoogleApi(std::string api_key, uint16_t port = 0);
  ~FakeGoogleApi();
  FakeGoogleApi(const FakeGoogleApi&) = delete;
  FakeGoogleApi& operator=(const FakeGoogleApi&) = delete;

  // The plugin's base_url: "http://127.0.0.1:<port>/v1beta".
  std::string baseUrl() const;

  void setPollsBeforeDone(int n);              // running answers per operation (default 2)
  void setPromptBlocked(std::string reason);   // images: promptFeedback.blockReason ("" = no)
  void setVideoFiltered(std::string reason);   // videos end filtered ("" = no)
  void setOperationError(int code, std::string message);  // videos end with an error (0 = no)
  void setImage(std::string bytes, std::string mime);     // default a 64x64 PNG
  void setVideo(std::string bytes);                       // default samples::mp4()
  // The next `count` requests answer `status` with `body` and `headers`.
  void failNext(int count, int status, std::string body, FakeHeaders headers = {});
  void setGarbage(bool on);  // API routes answer 200 "<html>not json"
  void setHang(bool on);

  int generates() const;     // POST …:generateContent
  int submits() const;       // POST …:predictLongRunning
  int polls() const;         // GET operations
  int downloads() const;     // GET files
  int refusedKeys() const;   // requests refused for their key
  std::vector<std::string> log() const;
  std::string lastApiKey() const;         // x-goog-api-key of the last request
  nlohmann::json lastPostBody() const;    // the body of the last POST (null if none)

  bool waitFor(const std::function<bool()>& predicate, int timeout_ms) const;

 private:
  FakeResponse guarded(const FakeRequest& request, const std::function<FakeResponse()>& route);
  FakeResponse post(const FakeRequest& request, const std::string& model_action);
  FakeResponse generate(const std::string& model, const nlohmann::json& body);
  FakeResponse submit(const std::string& model, const nlohmann::json& body);
  FakeResponse poll(const std::string& model, const std::string& id);
  FakeResponse download(const std::string& file);

  const std::string api_key_;

  mutable std::mutex mutex_;
  // Guarded by mutex_
  int polls_before_done_ = 2;
  std::string blocked_;
  std::string filtered_;
  int op_error_code_ = 0;
  std::string op_error_message_;
  std::string image_;
  std::string image_mime_ = "image/png";
  std::string video_;
  std::map<std::string, int> operations_;  // id → polls so far
  int next_id_ = 1;
  int refused_ = 0;

  FakeServer server_;  // last: destroyed first
};

}  // namespace aigate::testing
