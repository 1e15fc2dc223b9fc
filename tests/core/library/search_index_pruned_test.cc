// Any-term searches that need no total (library matching's candidates())
// take the MaxScore path (max_score.h): the same pages, the same score
// doubles, as the counting path and as FTS5, on Zipf-distributed words.
#include "core/library/search_index.h"

#include "core/library/catalog.h"
#include "core/library/text.h"
#include "tests/core/library/index_twins.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace aigate;
using namespace aigate::index_twins;

namespace {

// Words drawn as real captions have them, by a Zipf law: a few in many
// assets, most in a few. The most frequent stem alike ("run", "running",
// "runs" are one token), so that a query may hold a token twice.
class ZipfWords {
 public:
  ZipfWords() {
    words_ = {"run", "running", "runs", "sunset", "sunsets", "ocean", "city", "golden", "cafe"};
    for (int i = 0; words_.size() < 400; ++i) words_.push_back("wd" + std::to_string(i));
    double sum = 0;
    for (size_t rank = 0; rank < words_.size(); ++rank)
      cumulative_.push_back(sum += 1.0 / static_cast<double>(rank + 3));
  }
  const std::string& draw(std::mt19937& rng) const {
    const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
    const auto at =
        std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
    return words_[std::min(static_cast<size_t>(at), words_.size() - 1)];
  }
  std::string text(std::mt19937& rng, int min, int max) const {
    const int n = min + static_cast<int>(rng() % static_cast<unsigned>(max - min + 1));
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? " " : "") + draw(rng);
    return out;
  }

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;
};

// An asset of Zipf words: one in ten is one word long (all such tie), one
// in a hundred holds a frequent word so often that its weight is heavy
// (above a byte).
library::Asset zipfAsset(std::mt19937& rng, const ZipfWords& words, int n) {
  library::Asset a = randomAsset(rng, n);
  a.tags.clear();
  const auto shape = rng() % 100;
  if (shape < 10) {
    a.title = words.draw(rng);
    a.description.clear();
  } else if (shape < 11) {
    const std::string& word = words.draw(rng);
    a.title.clear();
    for (int i = 0; i < 26 + static_cast<int>(rng() % 10); ++i) a.title += word + " ";
    a.description = words.text(rng, 0, 20);
  } else {
    a.title = words.text(rng, 1, 6);
    a.description = words.text(rng, 0, 20);
    for (int i = 0, tags = static_cast<int>(rng() % 5); i < tags; ++i)
      a.tags.push_back(words.draw(rng));
  }
  return a;
}

// A prompt of 1–10 Zipf words (now and then one no asset has), with random
// filters, a limit of 1, 25 or 100 and at times an offset.
library::SearchQuery zipfQuery(std::mt19937& rng, const ZipfWords& words) {
  library::SearchQuery q = randomQuery(rng);
  q.text = words.text(rng, 1, 10);
  if (rng() % 10 == 0) q.text += " unicorn";
  static const int kLimits[] = {1, 25, 100};
  static const int kOffsets[] = {0, 0, 0, 5, 30};
  q.limit = kLimits[rng() % 3];
  q.offset = kOffsets[rng() % 5];
  return q;
}

// The any-term page of `q` without the total (pruned) is the page with it,
// hit for hit and score for score, and FTS5's page; so is candidates()'s.
void comparePruned(Twins& twins, const library::SearchQuery& q) {
  INFO("q=" << q.text << " type=" << q.type.value_or("-") << " topic=" << q.topic.value_or("-")
            << " ratio=" << q.aspect_ratio.value_or("-") << " viewer=" << q.viewer.value_or("-")
            << " limit=" << q.limit << " offset=" << q.offset);
  auto index = library::searchIndexFor(twins.memory->reader());
  REQUIRE(index);
  const auto terms = library::queryTerms(q.text);
  for (const bool all_terms : {false, true}) {
    const auto pruned = index->search(terms, q, all_terms, q.limit, q.offset, false);
    const auto counted = index->search(terms, q, all_terms, q.limit, q.offset, true);
    REQUIRE(pruned.has_value() == counted.has_value());
    if (!pruned) return;  // a phrase: FTS5 answers
    CHECK(pruned->total == -1);
    REQUIRE(pruned->hits.size() == counted->hits.size());
    for (size_t i = 0; i < pruned->hits.size(); ++i) {
      INFO((all_terms ? "all terms" : "any term") << ", position " << i);
      REQUIRE(pruned->hits[i].seq == counted->hits[i].seq);
      REQUIRE(pruned->hits[i].score == counted->hits[i].score);  // the same double
    }
  }
  // FTS5's doubles may be a hair off ours: its page may order ties otherwise.
  const auto page = index->search(terms, q, false, q.limit, q.offset, false);
  const auto expected = twins.ftsAnyTermPage(terms, q);
  REQUIRE(page->hits.size() == expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("position " << i << ": " << page->hits[i].seq << " vs FTS5's " << expected[i].first);
    CHECK(std::abs(page->hits[i].score - expected[i].second) < 1e-9);
  }
  const auto got = library::candidates(twins.memory->reader(), terms, q, q.limit);
  const auto fts = library::candidates(twins.fts->reader(), terms, q, q.limit);
  REQUIRE(got.size() == fts.size());
  std::map<std::string, double> scores;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i]->asset().id == fts[i]->asset().id) continue;
    if (scores.empty()) scores = twins.ftsScores(q.text, false);
    CHECK(std::abs(scores.at(got[i]->asset().id) - scores.at(fts[i]->asset().id)) < 1e-9);
  }
}

}  // namespace

TEST_CASE("any-term pages without the total are those with it, on Zipf words",
          "[search_index]") {
  std::mt19937 rng(43);
  const ZipfWords words;
  Twins twins;
  std::vector<library::Asset> assets;
  for (int n = 0; n < 3000; ++n) assets.push_back(zipfAsset(rng, words, n));
  twins.insert(assets);
  auto compareMany = [&](int queries) {
    for (int i = 0; i < queries; ++i) comparePruned(twins, zipfQuery(rng, words));
  };
  compareMany(300);
  for (int n = 0; n < 3000; n += 10) twins.remove("ast_test_" + std::to_string(n));
  compareMany(150);
  for (int n = 1; n < 3000; n += 3) twins.remove("ast_test_" + std::to_string(n));
  compareMany(150);
  assets.clear();
  for (int n = 5000; n < 5300; ++n) assets.push_back(zipfAsset(rng, words, n));
  twins.insert(assets);
  compareMany(150);
}
