// PostingList against a plain sorted vector: every doc, position and weight
// back in order (and the largest weight), by windows of docs too, seeks, bit
// tests, removals and appends, in both layouts and around the 128-doc block
// boundaries.
#include "core/library/posting_list.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

using aigate::library::PostingList;

namespace {

struct Expected {
  std::vector<uint32_t> docs;
  std::vector<uint8_t> weights;
};

// `n` ascending docs from `first`, with gaps of 1 (the width-0 blocks of a
// term in every doc), small ones and now and then a huge one.
Expected randomDocs(std::mt19937& rng, size_t n, uint32_t first = 0) {
  Expected e;
  uint32_t doc = first;
  for (size_t i = 0; i < n; ++i) {
    e.docs.push_back(doc);
    e.weights.push_back(static_cast<uint8_t>(rng()));
    switch (rng() % 8) {
      case 0:
        doc += 1 + static_cast<uint32_t>(rng() % 100000);
        break;
      case 1:
      case 2:
        doc += 1 + static_cast<uint32_t>(rng() % 20);
        break;
      default:
        doc += 1;
    }
  }
  return e;
}

PostingList make(const Expected& e) {
  PostingList list;
  for (size_t i = 0; i < e.docs.size(); ++i) list.append(e.docs[i], e.weights[i]);
  return list;
}

void check(const PostingList& list, const Expected& e, std::mt19937& rng) {
  REQUIRE(list.size() == e.docs.size());
  CHECK(list.maxWeight() ==
        (e.weights.empty() ? 0 : *std::max_element(e.weights.begin(), e.weights.end())));
  size_t i = 0;
  for (PostingList::Cursor c(list); !c.done(); c.next(), ++i) {
    REQUIRE(i < e.docs.size());
    REQUIRE(c.doc() == e.docs[i]);
    REQUIRE(c.pos() == i);
    REQUIRE(list.weight(c.pos()) == e.weights[i]);
  }
  REQUIRE(i == e.docs.size());

  // Windows of rising ends, small and large: each posting once, in order.
  PostingList::Cursor windows(list);
  size_t seen = 0;
  for (uint32_t end = 0; seen < e.docs.size();) {
    end += rng() % 2 ? 1 + rng() % 300 : 1 + rng() % 200000;
    windows.forEachBelow(end, [&](uint32_t doc, size_t pos) {
      REQUIRE(seen < e.docs.size());
      REQUIRE(doc == e.docs[seen]);
      REQUIRE(pos == seen);
      REQUIRE(doc < end);
      ++seen;
    });
    REQUIRE((windows.done() || windows.doc() >= end));
  }
  REQUIRE(windows.done());

  // Seeks, from a fresh cursor and along one cursor moving forward.
  const uint32_t top = e.docs.empty() ? 1000 : e.docs.back() + 300;
  std::vector<uint32_t> targets;
  for (int t = 0; t < 300; ++t) targets.push_back(static_cast<uint32_t>(rng() % top));
  for (uint32_t doc : e.docs)
    if (rng() % 4 == 0) targets.push_back(doc);
  std::sort(targets.begin(), targets.end());
  PostingList::Cursor walking(list);
  for (uint32_t target : targets) {
    const auto at = std::lower_bound(e.docs.begin(), e.docs.end(), target) - e.docs.begin();
    PostingList::Cursor fresh(list);
    for (auto* c : {&fresh, &walking}) {
      c->seek(target);
      INFO("target " << target);
      if (static_cast<size_t>(at) == e.docs.size()) {
        REQUIRE(c->done());
        REQUIRE(c->doc() == PostingList::kEnd);
      } else {
        REQUIRE_FALSE(c->done());
        REQUIRE(c->doc() == e.docs[static_cast<size_t>(at)]);
        REQUIRE(c->pos() == static_cast<size_t>(at));
      }
    }
  }

  if (!list.dense()) return;
  for (uint32_t target : targets) {
    const auto it = std::lower_bound(e.docs.begin(), e.docs.end(), target);
    size_t pos = 0;
    const bool held = it != e.docs.end() && *it == target;
    REQUIRE(list.find(target, pos) == held);
    if (held) REQUIRE(pos == static_cast<size_t>(it - e.docs.begin()));
  }
}

const std::vector<size_t> kSizes = {0,   1,   2,   63,  64,  65,  127,  128,
                                    129, 255, 256, 257, 383, 384, 1000, 5000};

}  // namespace

TEST_CASE("a packed posting list gives back its docs, around block boundaries", "[posting_list]") {
  std::mt19937 rng(1);
  for (size_t n : kSizes) {
    INFO("size " << n);
    const Expected e = randomDocs(rng, n);
    PostingList list = make(e);
    check(list, e, rng);                             // as built
    list.fit(std::numeric_limits<uint32_t>::max());  // too few to be dense
    REQUIRE_FALSE(list.dense());
    check(list, e, rng);
  }
}

TEST_CASE("a dense posting list gives back its docs", "[posting_list]") {
  std::mt19937 rng(2);
  for (size_t n : kSizes) {
    INFO("size " << n);
    const Expected e = randomDocs(rng, n, static_cast<uint32_t>(rng() % 1000));
    PostingList list = make(e);
    list.fit(n);  // in every doc: dense once it has 64
    REQUIRE(list.dense() == (n >= 64));
    check(list, e, rng);
    list.fit(n * 16 + 1);  // back below 1/16 of the docs
    REQUIRE_FALSE(list.dense());
    check(list, e, rng);
  }
}

TEST_CASE("a term in every doc packs to nothing but its skip entries", "[posting_list]") {
  Expected e;
  for (uint32_t doc = 0; doc < 128 * 100; ++doc) {
    e.docs.push_back(doc);
    e.weights.push_back(2);
  }
  PostingList list = make(e);
  list.fit(std::numeric_limits<uint32_t>::max());
  // 100 blocks of a width byte and 8 bytes of skip, the padding, 1 weight
  // byte a doc.
  CHECK(list.bytes() == sizeof(PostingList) + 100 * (1 + 8) + 8 + e.docs.size());
  std::mt19937 rng(3);
  check(list, e, rng);
}

TEST_CASE("removals across block boundaries keep docs and weights together", "[posting_list]") {
  std::mt19937 rng(4);
  for (const bool dense : {false, true}) {
    for (size_t n : {size_t{127}, size_t{128}, size_t{129}, size_t{300}, size_t{1000}}) {
      INFO("size " << n << (dense ? " dense" : " packed"));
      Expected e = randomDocs(rng, n);
      PostingList list = make(e);
      list.fit(dense ? n : std::numeric_limits<uint32_t>::max());
      // Drop the docs at the block edges and a random third of the rest.
      std::vector<uint32_t> gone;
      for (size_t i = 0; i < n; ++i)
        if (i % 128 == 0 || i % 128 == 127 || rng() % 3 == 0) gone.push_back(e.docs[i]);
      list.removeIf(
          [&](uint32_t doc) { return std::binary_search(gone.begin(), gone.end(), doc); });
      Expected kept;
      for (size_t i = 0; i < n; ++i) {
        if (std::binary_search(gone.begin(), gone.end(), e.docs[i])) continue;
        kept.docs.push_back(e.docs[i]);
        kept.weights.push_back(e.weights[i]);
      }
      check(list, kept, rng);
      list.fit(dense ? kept.docs.size() : std::numeric_limits<uint32_t>::max());
      check(list, kept, rng);
    }
  }
}

TEST_CASE("appends after the layout is fitted (catching up)", "[posting_list]") {
  std::mt19937 rng(5);
  for (const bool dense : {false, true}) {
    for (size_t n : {size_t{64}, size_t{127}, size_t{128}, size_t{200}}) {
      INFO("size " << n << (dense ? " dense" : " packed"));
      Expected e = randomDocs(rng, n);
      PostingList list = make(e);
      list.fit(dense ? n : std::numeric_limits<uint32_t>::max());
      REQUIRE(list.dense() == dense);
      const Expected more =
          randomDocs(rng, 300, e.docs.back() + 1 + static_cast<uint32_t>(rng() % 600));
      for (size_t i = 0; i < more.docs.size(); ++i) {
        list.append(more.docs[i], more.weights[i]);
        e.docs.push_back(more.docs[i]);
        e.weights.push_back(more.weights[i]);
        if (i % 37 == 0 || i == 127 || i == 128) check(list, e, rng);
      }
      check(list, e, rng);
    }
  }
}
