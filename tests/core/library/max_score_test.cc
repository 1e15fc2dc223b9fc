// MaxScoreWalk against the plain union of its lists: the docs come in order
// with their positions in every list, and no admitted doc whose bounds summed
// reach the threshold in force is left out, whatever the lists' layouts,
// weights and bounds and however the threshold rises.
#include "core/library/max_score.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <vector>

using aigate::library::MaxScoreWalk;
using aigate::library::PostingList;

namespace {

// Zipf-like: list i holds about 1/(i + 1) of the docs, some of them dense.
std::vector<PostingList> randomLists(std::mt19937& rng, size_t lists, uint32_t docs) {
  std::vector<PostingList> out(lists);
  for (size_t i = 0; i < lists; ++i) {
    const uint32_t share = static_cast<uint32_t>(i + 1);
    for (uint32_t doc = 0; doc < docs; ++doc) {
      if (rng() % share != 0) continue;
      // Mostly small weights, now and then a large one or the heavy escape.
      const uint32_t r = rng() % 64;
      const auto weight = static_cast<uint8_t>(r == 0   ? 255
                                               : r == 1 ? 200 + rng() % 55
                                                        : 2 + r % 20);
      out[i].append(doc, weight);
    }
    out[i].fit(rng() % 2 ? docs : std::numeric_limits<uint32_t>::max());
  }
  return out;
}

// Bounds that grow with the weight but not always (the walk must not rely
// on it), scaled per list like an idf.
std::array<double, 256> randomBounds(std::mt19937& rng) {
  std::array<double, 256> bound;
  const double scale = 0.01 + static_cast<double>(rng() % 1000) / 100.0;
  for (size_t w = 0; w < bound.size(); ++w)
    bound[w] = scale * (static_cast<double>(w) / (static_cast<double>(w) + 1.0)) *
               (rng() % 8 == 0 ? 0.5 : 1.0);
  return bound;
}

struct Posting {
  uint32_t pos;
  uint8_t weight;
};

}  // namespace

TEST_CASE("MaxScoreWalk gives every doc that may reach the threshold", "[max_score]") {
  std::mt19937 rng(31);
  for (int round = 0; round < 60; ++round) {
    const size_t n = 1 + rng() % 8;
    const uint32_t docs = 200 + rng() % (5 * MaxScoreWalk::kWindow);
    const auto lists = randomLists(rng, n, docs);
    std::vector<MaxScoreWalk::Term> terms;
    // The union: doc → its posting in each list.
    std::map<uint32_t, std::vector<std::optional<Posting>>> all;
    for (size_t i = 0; i < n; ++i) {
      terms.push_back({&lists[i], randomBounds(rng)});
      for (PostingList::Cursor c(lists[i]); !c.done(); c.next()) {
        auto& postings = all[c.doc()];
        postings.resize(n);
        postings[i] = Posting{static_cast<uint32_t>(c.pos()), lists[i].weight(c.pos())};
      }
    }
    auto gainBound = [&](uint32_t doc) {
      double sum = 0;
      for (size_t i = 0; i < n; ++i)
        if (const auto& p = all[doc][i]) sum += terms[i].bound[p->weight];
      return sum;
    };
    double largest = 0;
    for (const auto& [doc, postings] : all) largest = std::max(largest, gainBound(doc));

    // Half the rounds admit only some docs (as filters do). The threshold
    // rises at random from none or some, sometimes past what any doc may gain.
    const bool filtered = rng() % 2 == 0;
    auto admitted = [&](uint32_t doc) { return !filtered || doc % 3 != 0; };
    MaxScoreWalk walk(terms, filtered ? std::function<bool(uint32_t)>(admitted) : nullptr);
    double threshold = rng() % 2 ? -std::numeric_limits<double>::infinity()
                                 : largest * static_cast<double>(rng() % 50) / 100.0;
    std::vector<uint32_t> pos(n);
    uint32_t doc = 0;
    auto expected = all.begin();
    INFO("round " << round << ", " << n << " lists, " << all.size() << " docs"
                  << (filtered ? ", filtered" : ""));
    for (;;) {
      if (rng() % 16 == 0) {
        const double up = largest * static_cast<double>(rng() % 100) / 1000.0;
        threshold = std::isinf(threshold) ? up : threshold + up;
      }
      const bool more = walk.next(threshold, doc, pos.data());
      // Every doc passed over may not reach the threshold.
      for (; expected != all.end() && (!more || expected->first < doc); ++expected) {
        INFO("doc " << expected->first << " left out at threshold " << threshold);
        REQUIRE((!admitted(expected->first) || gainBound(expected->first) < threshold));
      }
      if (!more) break;
      REQUIRE(expected != all.end());
      REQUIRE(expected->first == doc);
      REQUIRE(admitted(doc));
      for (size_t i = 0; i < n; ++i) {
        const auto& p = expected->second[i];
        CHECK(pos[i] == (p ? p->pos : MaxScoreWalk::kAbsent));
      }
      ++expected;
    }
  }
}

TEST_CASE("MaxScoreWalk with no threshold gives the whole union", "[max_score]") {
  std::mt19937 rng(37);
  const auto lists = randomLists(rng, 5, 2000);
  std::vector<MaxScoreWalk::Term> terms;
  std::vector<uint32_t> expected;
  for (const auto& list : lists) {
    terms.push_back({&list, randomBounds(rng)});
    for (PostingList::Cursor c(list); !c.done(); c.next()) expected.push_back(c.doc());
  }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  MaxScoreWalk walk(terms);
  std::vector<uint32_t> got;
  std::vector<uint32_t> pos(lists.size());
  for (uint32_t doc = 0; walk.next(-std::numeric_limits<double>::infinity(), doc, pos.data());)
    got.push_back(doc);
  CHECK(got == expected);
}

TEST_CASE("MaxScoreWalk stops when no doc can reach the threshold", "[max_score]") {
  std::mt19937 rng(41);
  const auto lists = randomLists(rng, 4, 1000);
  std::vector<MaxScoreWalk::Term> terms;
  double most = 0;
  for (const auto& list : lists) {
    terms.push_back({&list, randomBounds(rng)});
    most += *std::max_element(terms.back().bound.begin(), terms.back().bound.end());
  }
  MaxScoreWalk walk(terms);
  std::vector<uint32_t> pos(lists.size());
  uint32_t doc = 0;
  CHECK_FALSE(walk.next(most * 1.01, doc, pos.data()));
}
