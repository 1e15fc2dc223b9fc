// POST /api/v1/generate/{image,video}: library first, charged once, and a
// clean refusal (nothing charged) when the library cannot answer and no
// provider is configured ("library only"). Generation itself is tested in
// generation_api_test.cc and tests/core/jobs/.
#include "tests/support/sample_library.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

using aigate::testing::TestGateway;

namespace {

struct GenerateFixture {
  TestGateway gw;
  aigate::testing::TempDir dir;

  explicit GenerateFixture(double threshold = 0.6)
      : gw([threshold](auto& c) {
          c.library.match_threshold = threshold;
          c.generation.image.clear();  // library only
          c.generation.video.clear();
        }) {
    aigate::testing::writeLibraryFolder(dir.path(), aigate::testing::standardLibrary());
    REQUIRE(aigate::testing::importInto(gw, dir.path()).imported == 8);
  }

  int64_t balance(const std::string& key) {
    return gw.get("/api/v1/me", key).json()["credits_balance"];
  }
};

}  // namespace

TEST_CASE("a good library match is returned at once for the library price", "[api][generate]") {
  GenerateFixture f;
  auto user = f.gw.createUser("hit@example.com");
  auto r = f.gw.post("/api/v1/generate/image",
                     R"({"prompt":"a misty forest of pine trees","aspect_ratio":"1:1"})", user.api_key,
                     {"X-Request-Id: req_hit_1"});
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(body["source"] == "library");
  CHECK(body["asset"]["title"] == "Misty pine forest");
  CHECK(body["credits_charged"] == 10);
  CHECK(body["credits_balance"] == 90);
  CHECK(body["request_id"] == "req_hit_1");
  CHECK(body["provider"].is_null());
  CHECK(body["byok"] == false);
  CHECK(body["match_score"].get<double>() >= 0.6);
  CHECK(body["match_score"].get<double>() <= 1.0);
  CHECK(f.balance(user.api_key) == 90);
  auto usage = f.gw.get("/api/v1/usage?limit=1", user.api_key).json()["items"][0];
  CHECK(usage["kind"] == "charge");
  CHECK(usage["amount"] == -10);
  CHECK(usage["ref"] == "req_hit_1");
}

TEST_CASE("the match respects type, aspect ratio and topic", "[api][generate]") {
  GenerateFixture f;
  auto user = f.gw.createUser("filters@example.com", "starter");
  // The forest is 1:1; asked for 16:9 it cannot serve.
  auto wide = f.gw.post("/api/v1/generate/image",
                        R"({"prompt":"misty pine forest","aspect_ratio":"16:9"})", user.api_key);
  CHECK(wide.status == 503);
  // Ocean waves exist as a 9:16 video, not as an image.
  auto video = f.gw.post("/api/v1/generate/video",
                         R"({"prompt":"ocean waves on a beach","aspect_ratio":"9:16"})", user.api_key);
  REQUIRE(video.status == 200);
  CHECK(video.json()["asset"]["type"] == "video");
  CHECK(video.json()["credits_charged"] == 100);
  auto image = f.gw.post("/api/v1/generate/image",
                         R"({"prompt":"ocean waves on a beach","aspect_ratio":"9:16"})", user.api_key);
  CHECK(image.status == 503);
  // Topic narrows: sunset exists in nature and city.
  auto city = f.gw.post("/api/v1/generate/image",
                        R"({"prompt":"sunset skyline","aspect_ratio":"16:9","topic":"city"})",
                        user.api_key);
  REQUIRE(city.status == 200);
  CHECK(city.json()["asset"]["topic"] == "city");
}

TEST_CASE("the threshold decides on both sides", "[api][generate]") {
  // "golden sunset dolphins jumping": 2 of 4 terms match the ocean sunset (0.5).
  const std::string prompt = R"({"prompt":"golden sunset dolphins jumping","aspect_ratio":"16:9"})";
  {
    GenerateFixture f(0.5);
    auto user = f.gw.createUser("low@example.com");
    auto r = f.gw.post("/api/v1/generate/image", prompt, user.api_key);
    REQUIRE(r.status == 200);
    CHECK(r.json()["match_score"] == 0.5);
  }
  {
    GenerateFixture f(0.51);
    auto user = f.gw.createUser("high@example.com");
    auto r = f.gw.post("/api/v1/generate/image", prompt, user.api_key);
    CHECK(r.status == 503);
    CHECK(r.json()["error"] == "generation_unavailable");
    CHECK(f.balance(user.api_key) == 100);
  }
}

TEST_CASE("library only: a miss or force_gen is 503 generation_unavailable and charges nothing",
          "[api][generate]") {
  GenerateFixture f;
  auto user = f.gw.createUser("miss@example.com");
  auto miss = f.gw.post("/api/v1/generate/image", R"({"prompt":"a purple dragon"})", user.api_key);
  CHECK(miss.status == 503);
  CHECK(miss.json()["error"] == "generation_unavailable");
  CHECK(miss.json()["credits_balance"] == 100);
  auto forced = f.gw.post("/api/v1/generate/image",
                          R"({"prompt":"misty pine forest","force_gen":true})", user.api_key);
  CHECK(forced.status == 503);
  CHECK(f.balance(user.api_key) == 100);
  CHECK(f.gw.get("/api/v1/usage", user.api_key).json()["total"] == 1);  // the registration grant only
}

TEST_CASE("video below Starter is 403 before anything else", "[api][generate]") {
  GenerateFixture f;
  auto user = f.gw.createUser("free@example.com");
  auto r = f.gw.post("/api/v1/generate/video", "{not even json", user.api_key);
  CHECK(r.status == 403);
  CHECK(r.json()["error"] == "video_not_included");
  CHECK(r.json()["required_tier"] == "starter");
  CHECK(f.balance(user.api_key) == 100);
}

TEST_CASE("Scale-only request fields are refused below Scale", "[api][generate]") {
  GenerateFixture f;
  auto pro = f.gw.createUser("pro@example.com", "pro");
  auto provider = f.gw.post("/api/v1/generate/image",
                            R"({"prompt":"misty pine forest","provider":"openai_images"})", pro.api_key);
  CHECK(provider.status == 403);
  CHECK(provider.json()["error"] == "feature_not_included");
  CHECK(provider.json()["feature"] == "smart_routing");
  CHECK(provider.json()["required_tier"] == "scale");
  auto hook = f.gw.post("/api/v1/generate/image",
                        R"({"prompt":"misty pine forest","webhook_url":"https://example.com/h"})",
                        pro.api_key);
  CHECK(hook.json()["feature"] == "webhooks");
  auto scale = f.gw.createUser("scale@example.com", "scale");
  CHECK(f.gw.post("/api/v1/generate/image",
                  R"({"prompt":"misty pine forest","provider":"openai_images"})", scale.api_key)
            .status == 200);
}

TEST_CASE("invalid generate bodies are 400 naming the field", "[api][generate]") {
  GenerateFixture f;
  auto user = f.gw.createUser("bad@example.com");
  auto field = [&](const std::string& body) {
    auto r = f.gw.post("/api/v1/generate/image", body, user.api_key);
    INFO(body << " -> " << r.body);
    CHECK(r.status == 400);
    return r.json()["field"];
  };
  CHECK(field("{}") == "prompt");
  CHECK(field(R"({"prompt":""})") == "prompt");
  CHECK(field(R"({"prompt":42})") == "prompt");
  CHECK(field(R"({"prompt":")" + std::string(4001, 'x') + R"("})") == "prompt");
  CHECK(field(R"({"prompt":"x","aspect_ratio":"5:7"})") == "aspect_ratio");
  CHECK(field(R"({"prompt":"x","force_gen":"yes"})") == "force_gen");
  CHECK(field(R"({"prompt":"x","wait_s":-1})") == "wait_s");
  // 4000 characters of multi-byte text are fine.
  std::string wide_text;
  for (int i = 0; i < 4000; ++i) wide_text += "\xC3\xA9";
  CHECK(f.gw.post("/api/v1/generate/image", R"({"prompt":")" + wide_text + R"("})", user.api_key)
            .status == 503);
  CHECK(f.balance(user.api_key) == 100);
}

TEST_CASE("a retried library hit with one Idempotency-Key is charged once", "[api][generate][idempotency]") {
  GenerateFixture f;
  auto user = f.gw.createUser("retry@example.com");
  const std::string body = R"({"prompt":"latte art coffee"})";
  auto first = f.gw.post("/api/v1/generate/image", body, user.api_key, {"Idempotency-Key: g1"});
  REQUIRE(first.status == 200);
  auto again = f.gw.post("/api/v1/generate/image", body, user.api_key, {"Idempotency-Key: g1"});
  CHECK(again.body == first.body);
  CHECK(f.balance(user.api_key) == 90);
  auto other = f.gw.post("/api/v1/generate/image", R"({"prompt":"margherita pizza","aspect_ratio":"4:5"})",
                         user.api_key, {"Idempotency-Key: g1"});
  CHECK(other.status == 409);
  CHECK(f.balance(user.api_key) == 90);
}

TEST_CASE("50 parallel library hits on 100 credits: 10 served, 40 refused, books exact",
          "[api][generate][concurrency]") {
  GenerateFixture f;
  auto user = f.gw.createUser("race@example.com");
  const std::string url = f.gw.url("/api/v1/generate/image");
  std::atomic<int> served{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      aigate::testing::HttpClient client;
      auto r = client.request("POST", url, R"({"prompt":"misty pine forest"})",
                              {"Authorization: Bearer " + user.api_key});
      if (r.status == 200) {
        ++served;
      } else if (r.status == 402) {
        auto body = r.json();
        if (body["error"] == "insufficient_credits" && body["credits_needed"] == 10 &&
            body["credits_balance"].is_number_integer() && body["credits_balance"] < 10)
          ++refused;
        else
          ++other;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(served == 10);
  CHECK(refused == 40);
  CHECK(other == 0);
  CHECK(f.balance(user.api_key) == 0);
  auto& db = f.gw.store().reader().db();
  SQLite::Statement sums(db, "SELECT SUM(amount), COUNT(*) FILTER (WHERE kind = 'charge') FROM ledger WHERE user_id = ?");
  sums.bind(1, user.user_id);
  REQUIRE(sums.executeStep());
  CHECK(sums.getColumn(0).getInt64() == 0);
  CHECK(sums.getColumn(1).getInt() == 10);
}
