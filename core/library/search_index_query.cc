// SearchIndex::search() (search_index.h): a query's terms tokenized as FTS5
// does, its matches walked in the posting lists (all terms, any term
// counted, or any term pruned by MaxScore: max_score.h), filtered and ranked
// with FTS5's bm25 to the same doubles.
#include "core/library/search_index.h"

#include "core/library/max_score.h"
#include "core/library/search_index_data.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace aigate::library {
namespace {

// FTS5's bm25() constants (ext/fts5/fts5_aux.c).
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// The search's top k, by a bounded max-heap whose top is the worst kept.
struct Ranked {
  double score;
  uint32_t doc;
};
bool better(const Ranked& a, const Ranked& b) {
  return a.score < b.score || (a.score == b.score && a.doc < b.doc);
}

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void offer(const Ranked& r) {
    if (heap_.size() < k_) {
      heap_.push_back(r);
      std::push_heap(heap_.begin(), heap_.end(), better);
    } else if (k_ > 0 && better(r, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), better);
      heap_.back() = r;
      std::push_heap(heap_.begin(), heap_.end(), better);
    }
  }
  // The score a doc must beat to be kept (ties: a lower doc), once k are.
  std::optional<double> bar() const {
    if (k_ == 0 || heap_.size() < k_) return std::nullopt;
    return heap_.front().score;
  }
  std::vector<Ranked> best() && {
    std::sort_heap(heap_.begin(), heap_.end(), better);
    return std::move(heap_);
  }

 private:
  size_t k_;
  std::vector<Ranked> heap_;
};

}  // namespace

std::optional<IndexResult> SearchIndex::search(const std::vector<std::string>& terms,
                                               const SearchQuery& filters, bool all_terms,
                                               int limit, int offset, bool count_total) const {
  std::vector<std::string> tokens;
  {
    std::lock_guard lock(tokenizer_mutex_);
    for (const auto& term : terms) {
      int count = 0;
      std::string token;
      query_tokenizer_->tokenize(term, FTS5_TOKENIZE_QUERY, [&](std::string_view t, int) {
        if (++count == 1) token = t.substr(0, kMaxTokenBytes);
      });
      if (count != 1) return std::nullopt;
      tokens.push_back(std::move(token));
    }
  }

  IndexResult result;
  if (!count_total) result.total = -1;
  std::shared_lock lock(mutex_);
  const Data& d = *data_;
  if (d.live == 0 || tokens.empty()) return result;

  // Filters and visibility, as value ids; a value never seen matches nothing.
  std::optional<uint32_t> type, topic, aspect;
  if (filters.type && !(type = d.types.find(*filters.type))) return result;
  if (filters.topic && !(topic = d.topics.find(*filters.topic))) return result;
  if (filters.aspect_ratio && !(aspect = d.aspects.find(*filters.aspect_ratio))) return result;
  const uint32_t viewer = filters.viewer ? d.owners.find(*filters.viewer).value_or(0) : 0;
  auto passes = [&](uint32_t doc, uint64_t key) {
    if ((key & kDeletedBit) != 0) return false;
    const uint32_t owner = d.get(key, doc, kOwner);
    return (owner == 0 || owner == viewer) && (!type || d.get(key, doc, kType) == *type) &&
           (!aspect || d.get(key, doc, kAspect) == *aspect) &&
           (!topic || d.get(key, doc, kTopic) == *topic);
  };

  // One phrase per token, in query order (bm25 sums them in that order);
  // lists are the distinct posting lists they read.
  const double rows = static_cast<double>(d.live);
  const double avgdl = static_cast<double>(d.total_length) / rows;
  std::vector<uint32_t> lists;
  std::vector<size_t> phrase_list;  // phrase → index in lists
  std::vector<double> idf;
  for (const auto& token : tokens) {
    auto it = d.terms.find(token);
    if (it == d.terms.end()) {
      if (all_terms) return result;
      continue;  // matches nothing; adds nothing to any score
    }
    const uint32_t term = it->second;
    auto pos = std::find(lists.begin(), lists.end(), term);
    phrase_list.push_back(static_cast<size_t>(pos - lists.begin()));
    if (pos == lists.end()) lists.push_back(term);
    const double hits = static_cast<double>(d.docFrequency(term));
    double value = std::log((rows - hits + 0.5) / (hits + 0.5));
    if (value <= 0.0) value = 1e-6;
    idf.push_back(value);
  }
  if (lists.empty()) return result;

  // FTS5's bm25 for a doc, with the same operations in the same order so
  // that the doubles are the same; `pos` holds where the doc is in each list
  // (kAbsent: not there, which adds exactly 0). The length term is cached.
  constexpr uint32_t kAbsent = std::numeric_limits<uint32_t>::max();
  std::array<double, 512> norm_by_length;
  norm_by_length.fill(-1.0);
  std::vector<const uint8_t*> weights_of;
  for (uint32_t term : lists) weights_of.push_back(d.postings[term].weights());
  auto score = [&](uint32_t doc, uint64_t key, const uint32_t* pos) {
    const uint32_t length = d.get(key, doc, kLength);
    double norm = length < norm_by_length.size() ? norm_by_length[length] : -1.0;
    if (norm < 0) {
      norm = kK1 * (1 - kB + kB * static_cast<double>(length) / avgdl);
      if (length < norm_by_length.size()) norm_by_length[length] = norm;
    }
    double sum = 0.0;
    for (size_t i = 0; i < phrase_list.size(); ++i) {
      const size_t l = phrase_list[i];
      if (pos[l] == kAbsent) continue;
      const uint8_t w = weights_of[l][pos[l]];
      const double f = w == kHeavyWeight ? d.weight(lists[l], doc, pos[l]) : w;
      sum += idf[i] * ((f * (kK1 + 1.0)) / (f + norm));
    }
    return -1.0 * sum;
  };

  // Only the best `first + limit` wanted, not the total: MaxScore skips the
  // docs that cannot be among them (below).
  const bool pruned = !all_terms && !count_total && limit >= 0;
  // Matching docs are gathered in batches, then filtered and scored with
  // their per-doc keys prefetched (each is a cache miss otherwise); pruned,
  // in small ones, so that the bar rises as they are scored. Docs are in
  // seq order: the heap breaks ties by doc.
  const size_t m = lists.size();
  const size_t batch_size = pruned ? 16 : 4096;
  constexpr size_t kAhead = 16;
  std::vector<uint32_t> batch;
  std::vector<uint32_t> batch_pos;  // m per doc of batch
  batch.reserve(batch_size);
  batch_pos.reserve(batch_size * m);
  // As SQL's LIMIT and OFFSET: a negative limit is none, a negative offset 0.
  const size_t first = offset > 0 ? static_cast<size_t>(offset) : 0;
  TopK top(limit < 0 ? std::numeric_limits<size_t>::max() : first + static_cast<size_t>(limit));
  auto flush = [&] {
    for (size_t j = 0; j < batch.size(); ++j) {
      if (j + kAhead < batch.size()) __builtin_prefetch(&d.keys[batch[j + kAhead]]);
      const uint32_t doc = batch[j];
      const uint64_t key = d.keys[doc];
      if (!passes(doc, key)) continue;
      if (count_total) ++result.total;
      top.offer({score(doc, key, &batch_pos[j * m]), doc});
    }
    batch.clear();
    batch_pos.clear();
  };
  std::vector<PostingList::Cursor> cursors;
  cursors.reserve(m);
  if (!pruned)
    for (uint32_t term : lists) cursors.emplace_back(d.postings[term]);
  std::vector<size_t> pos(m, 0);
  if (pruned) {
    // What a posting adds to a doc's gain (its score negated) is bounded by
    // its weight byte at the shortest length of any doc (whose length term
    // is the smallest); a heavy weight adds less than idf * (k1 + 1),
    // whatever it is. Computed as score() computes, these bounds are at
    // least its terms; its sums round otherwise (MaxScoreWalk::kSlack).
    const double least_norm = kK1 * (1 - kB + kB * static_cast<double>(d.min_length) / avgdl);
    std::array<double, kHeavyWeight> gain_by_weight;
    for (uint32_t w = 0; w < kHeavyWeight; ++w) {
      const double f = w;
      gain_by_weight[w] = (f * (kK1 + 1.0)) / (f + least_norm);
    }
    std::vector<MaxScoreWalk::Term> bounded;
    for (size_t l = 0; l < m; ++l) {
      double idf_sum = 0;  // a token twice in the query counts twice
      for (size_t i = 0; i < phrase_list.size(); ++i)
        if (phrase_list[i] == l) idf_sum += idf[i];
      MaxScoreWalk::Term& t = bounded.emplace_back(MaxScoreWalk::Term{&d.postings[lists[l]], {}});
      for (uint32_t w = 0; w < kHeavyWeight; ++w) t.bound[w] = idf_sum * gain_by_weight[w];
      t.bound[kHeavyWeight] = idf_sum * (kK1 + 1.0);
    }
    // A doc must score below the worst kept to displace it: docs come in
    // doc order, so a tie keeps the kept one.
    auto threshold = [&] {
      const auto bar = top.bar();
      return bar ? -*bar : -std::numeric_limits<double>::infinity();
    };
    static_assert(MaxScoreWalk::kAbsent == kAbsent);
    // The filters first, so that a search few docs pass does not look for
    // the positions of every match.
    MaxScoreWalk walk(std::move(bounded), [&](uint32_t doc) { return passes(doc, d.keys[doc]); });
    std::vector<uint32_t> at(m);
    uint32_t doc = 0;
    const bool wanted = first + static_cast<size_t>(limit) > 0;
    while (wanted && walk.next(threshold(), doc, at.data())) {
      __builtin_prefetch(&d.keys[doc]);
      batch.push_back(doc);
      batch_pos.insert(batch_pos.end(), at.begin(), at.end());
      if (batch.size() == batch_size) flush();
    }
  } else if (all_terms) {
    // Walk the shortest list; test the dense others bit by bit and move the
    // cursors of the rest to each doc (skipping whole blocks). A doc missing
    // from one list moves the walk on to that list's next doc.
    std::vector<size_t> order(m);
    for (size_t i = 0; i < m; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return d.postings[lists[a]].size() < d.postings[lists[b]].size();
    });
    PostingList::Cursor& lead = cursors[order[0]];
    bool exhausted = false;  // a list has no doc left at or after the walk's
    while (!lead.done() && !exhausted) {
      const uint32_t doc = lead.doc();
      pos[order[0]] = lead.pos();
      uint32_t skip_to = doc + 1;  // the next doc that may be in every list
      bool everywhere = true;
      for (size_t o = 1; o < m && everywhere; ++o) {
        const size_t l = order[o];
        const PostingList& list = d.postings[lists[l]];
        if (list.dense()) {
          everywhere = list.find(doc, pos[l]);
          continue;
        }
        PostingList::Cursor& c = cursors[l];
        c.seek(doc);
        if (c.done()) {
          exhausted = true;
          everywhere = false;
        } else if (c.doc() == doc) {
          pos[l] = c.pos();
        } else {
          everywhere = false;
          skip_to = c.doc();
        }
      }
      if (everywhere) {
        batch.push_back(doc);
        for (size_t l = 0; l < m; ++l) batch_pos.push_back(static_cast<uint32_t>(pos[l]));
        if (batch.size() == batch_size) flush();
      }
      if (skip_to == doc + 1)
        lead.next();
      else
        lead.seek(skip_to);
    }
  } else {
    // Merge the lists doc by doc.
    for (;;) {
      uint32_t doc = PostingList::kEnd;
      for (const auto& c : cursors) doc = std::min(doc, c.doc());
      if (doc == PostingList::kEnd) break;
      batch.push_back(doc);
      for (auto& c : cursors) {
        if (c.doc() != doc) {
          batch_pos.push_back(kAbsent);
          continue;
        }
        batch_pos.push_back(static_cast<uint32_t>(c.pos()));
        c.next();
      }
      if (batch.size() == batch_size) flush();
    }
  }
  flush();

  const auto best = std::move(top).best();
  for (size_t i = first; i < best.size(); ++i)
    result.hits.push_back({d.seqs[best[i].doc], best[i].score});
  return result;
}

}  // namespace aigate::library
