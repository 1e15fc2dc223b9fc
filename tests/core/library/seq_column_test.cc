// SeqColumn against a plain vector: random access, lower bounds, pops
// across block boundaries, and seqs far apart or negative.
#include "core/library/seq_column.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

using aigate::library::SeqColumn;

namespace {

void check(const SeqColumn& column, const std::vector<int64_t>& seqs, std::mt19937_64& rng) {
  REQUIRE(column.size() == seqs.size());
  for (size_t doc = 0; doc < seqs.size(); ++doc) REQUIRE(column[doc] == seqs[doc]);
  std::vector<int64_t> probes = {std::numeric_limits<int64_t>::min(),
                                 std::numeric_limits<int64_t>::max()};
  for (int64_t seq : seqs) {
    probes.push_back(seq);
    if (seq > std::numeric_limits<int64_t>::min()) probes.push_back(seq - 1);
    if (seq < std::numeric_limits<int64_t>::max()) probes.push_back(seq + 1);
  }
  for (int i = 0; i < 100; ++i) probes.push_back(static_cast<int64_t>(rng()));
  for (int64_t seq : probes) {
    INFO("seq " << seq);
    REQUIRE(column.lowerBound(seq) ==
            static_cast<size_t>(std::lower_bound(seqs.begin(), seqs.end(), seq) - seqs.begin()));
  }
}

}  // namespace

TEST_CASE("seqs come back by doc and by lower bound, with and without gaps", "[seq_column]") {
  std::mt19937_64 rng(1);
  for (int gaps : {0, 1, 2, 3}) {
    INFO("gaps " << gaps);
    std::vector<int64_t> seqs;
    SeqColumn column;
    int64_t seq = gaps == 3 ? -5000 : 1;
    for (size_t n = 0; n < 1000; ++n) {
      seqs.push_back(seq);
      column.push_back(seq);
      if (n == 0 || n == 126 || n == 127 || n == 128 || n == 255 || n == 256 || n == 999)
        check(column, seqs, rng);
      switch (gaps) {
        case 0:
          seq += 1;
          break;  // no deletions
        case 1:
          seq += rng() % 10 == 0 ? 1 + static_cast<int64_t>(rng() % 50) : 1;
          break;
        case 2:
          seq += 1 + static_cast<int64_t>(rng() % (uint64_t{1} << 40));
          break;  // > 32 bits
        default:
          seq += 1 + static_cast<int64_t>(rng() % 3);  // through negative seqs
      }
    }
    check(column, seqs, rng);
  }
}

TEST_CASE("seqs popped across block boundaries, then pushed again", "[seq_column]") {
  std::mt19937_64 rng(2);
  std::vector<int64_t> seqs;
  SeqColumn column;
  for (int64_t seq = 1; seq <= 400; seq += 1 + static_cast<int64_t>(rng() % 3)) {
    seqs.push_back(seq);
    column.push_back(seq);
  }
  for (size_t keep : {size_t{257}, size_t{256}, size_t{255}, size_t{128}, size_t{127}, size_t{0}}) {
    INFO("keep " << keep);
    while (seqs.size() > keep) {
      seqs.pop_back();
      column.pop_back();
    }
    check(column, seqs, rng);
    // Pushed again (a seq SQLite reuses), then popped back.
    const int64_t next = seqs.empty() ? 1 : seqs.back() + 1;
    for (int64_t seq = next; seq < next + 200; ++seq) {
      seqs.push_back(seq);
      column.push_back(seq);
    }
    check(column, seqs, rng);
    for (int i = 0; i < 200; ++i) {
      seqs.pop_back();
      column.pop_back();
    }
    check(column, seqs, rng);
  }
  CHECK(column.empty());
}

TEST_CASE("consecutive seqs take next to no memory", "[seq_column]") {
  SeqColumn column;
  for (int64_t seq = 1; seq <= 128 * 1000; ++seq) column.push_back(seq);
  column.shrinkToFit();
  CHECK(column.bytes() <= 1000 * 16 + 8);
}
