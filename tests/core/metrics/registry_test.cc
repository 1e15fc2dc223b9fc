// The metrics registry and its text format 0.0.4: HELP/TYPE lines, label
// escaping, histogram buckets, collectors, and updates from many threads.
#include "core/metrics/registry.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <thread>

using aigate::metrics::Collection;
using aigate::metrics::Registry;

TEST_CASE("counters and gauges with labels, exposed sorted with HELP and TYPE",
          "[metrics][registry]") {
  Registry r;
  auto& requests = r.counter("app_requests_total", "Requests.", {"route", "status"});
  requests.with({"/b", "200"}).inc();
  requests.with({"/a", "404"}).inc(2);
  requests.with({"/b", "200"}).inc();
  r.gauge("app_temperature", "A gauge.").with({}).set(-1.5);
  r.counter("app_unused_total", "Never incremented; no labels, so it shows 0.");
  r.counter("app_empty_total", "Labelled and never used: left out.", {"x"});

  CHECK(r.expose() ==
        "# HELP app_requests_total Requests.\n"
        "# TYPE app_requests_total counter\n"
        "app_requests_total{route=\"/a\",status=\"404\"} 2\n"
        "app_requests_total{route=\"/b\",status=\"200\"} 2\n"
        "# HELP app_temperature A gauge.\n"
        "# TYPE app_temperature gauge\n"
        "app_temperature -1.5\n"
        "# HELP app_unused_total Never incremented; no labels, so it shows 0.\n"
        "# TYPE app_unused_total counter\n"
        "app_unused_total 0\n");
}

TEST_CASE("the same label values give the same metric, and the same name the same family",
          "[metrics][registry]") {
  Registry r;
  auto& f = r.counter("x_total", "X.", {"a"});
  CHECK(&f.with({"1"}) == &f.with({"1"}));
  CHECK(&f.with({"1"}) != &f.with({"2"}));
  CHECK(&r.counter("x_total", "X.", {"a"}) == &f);
  CHECK_THROWS_AS(r.gauge("x_total", "X.", {"a"}), std::logic_error);
  CHECK_THROWS_AS(r.counter("x_total", "X.", {"b"}), std::logic_error);
  CHECK_THROWS_AS(f.with({"1", "2"}), std::logic_error);
  CHECK_THROWS_AS(r.counter("1bad", "Bad name."), std::logic_error);
  CHECK_THROWS_AS(r.counter("bad_labels_total", "Bad label.", {"__reserved"}), std::logic_error);
  CHECK_THROWS_AS(r.histogram("h_seconds", "le is taken.", {"le"}), std::logic_error);
}

TEST_CASE("label values and help text are escaped", "[metrics][registry]") {
  Registry r;
  r.counter("esc_total", "Help with \\ and\nnewline.", {"v"}).with({"a\"b\\c\nd"}).inc();
  const std::string text = r.expose();
  CHECK(text.find("# HELP esc_total Help with \\\\ and\\nnewline.\n") != std::string::npos);
  CHECK(text.find("esc_total{v=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
  CHECK(aigate::metrics::escapeLabelValue("plain ✓") == "plain ✓");
}

TEST_CASE("values are written exactly", "[metrics][registry]") {
  using aigate::metrics::formatValue;
  CHECK(formatValue(0) == "0");
  CHECK(formatValue(42) == "42");
  CHECK(formatValue(0.25) == "0.25");
  CHECK(formatValue(1e21) == "1e+21");
  CHECK(formatValue(INFINITY) == "+Inf");
  CHECK(formatValue(-INFINITY) == "-Inf");
  CHECK(formatValue(NAN) == "NaN");
}

TEST_CASE("histograms: cumulative buckets, +Inf, _sum and _count", "[metrics][registry]") {
  Registry r;
  const double bounds[] = {0.125, 1};
  auto& h = r.histogram("lat_seconds", "Latency.", {"route"}, bounds);
  h.with({"/x"}).observe(0.0625);
  h.with({"/x"}).observe(0.125);  // on a bound: counts in that bucket (le = less or equal)
  h.with({"/x"}).observe(0.5);
  h.with({"/x"}).observe(7);
  CHECK(r.expose() ==
        "# HELP lat_seconds Latency.\n"
        "# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{route=\"/x\",le=\"0.125\"} 2\n"
        "lat_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
        "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
        "lat_seconds_sum{route=\"/x\"} 7.6875\n"
        "lat_seconds_count{route=\"/x\"} 4\n");
  const double unsorted[] = {1, 0.5};
  CHECK_THROWS_AS(r.histogram("bad_seconds", "Unsorted.", {}, unsorted), std::logic_error);
}

TEST_CASE("collectors add gauges at scrape time until their handle goes", "[metrics][registry]") {
  Registry r;
  r.counter("b_total", "Registered.").with({}).inc();
  int scrapes = 0;
  {
    auto handle = r.addCollector([&](Collection& out) {
      ++scrapes;
      out.gauge("a_jobs", "Jobs.", {{"state", "queued"}}, 3);
      out.gauge("a_jobs", "Jobs.", {{"state", "running"}}, 1);
      out.gauge("c_held", "Held.", {}, 40);
    });
    CHECK(r.expose() ==
          "# HELP a_jobs Jobs.\n"
          "# TYPE a_jobs gauge\n"
          "a_jobs{state=\"queued\"} 3\n"
          "a_jobs{state=\"running\"} 1\n"
          "# HELP b_total Registered.\n"
          "# TYPE b_total counter\n"
          "b_total 1\n"
          "# HELP c_held Held.\n"
          "# TYPE c_held gauge\n"
          "c_held 40\n");
  }
  CHECK(scrapes == 1);
  CHECK(r.expose() == "# HELP b_total Registered.\n# TYPE b_total counter\nb_total 1\n");
  CHECK(scrapes == 1);
}

TEST_CASE("updates from many threads are all counted", "[metrics][registry]") {
  Registry r;
  auto& c = r.counter("hits_total", "Hits.", {"t"});
  auto& h = r.histogram("h_seconds", "H.", {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10'000; ++i) {
        c.with({t % 2 ? "odd" : "even"}).inc();
        h.with({}).observe(0.01);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(c.with({"odd"}).value() == 40'000);
  CHECK(c.with({"even"}).value() == 40'000);
  CHECK(h.with({}).snapshot().cumulative.back() == 80'000);
}
