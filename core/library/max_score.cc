#include "core/library/max_score.h"

#include <algorithm>
#include <bit>
#include <numeric>

namespace aigate::library {
namespace {

// What probing a candidate costs, in postings summed: a packed list decodes
// blocks to get there, a dense one tests a bit. A non-essential list is
// summed into a window rather than probed when that costs less, as if every
// essential posting made a candidate (most candidates reach the first probe).
constexpr double kPackedProbeCost = 8;
constexpr double kDenseProbeCost = 0.5;

}  // namespace

MaxScoreWalk::MaxScoreWalk(std::vector<Term> terms, std::function<bool(uint32_t)> admit)
    : terms_(std::move(terms)), admit_(std::move(admit)) {
  const size_t n = terms_.size();
  largest_.assign(n, 0.0);
  cursors_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const PostingList& list = *terms_[i].list;
    cursors_.emplace_back(list);
    if (list.size() == 0) continue;
    const auto& bound = terms_[i].bound;
    largest_[i] = *std::max_element(bound.begin(), bound.begin() + list.maxWeight() + 1);
  }
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), size_t{0});
  std::stable_sort(order_.begin(), order_.end(),
                   [&](size_t a, size_t b) { return largest_[a] < largest_[b]; });
  double sum = 0;
  for (size_t i : order_) prefix_.push_back(sum += largest_[i]);
  slack_ = kSlack * sum;
  sums_.assign(kWindow, 0.0);
  marks_.assign(kWindow / 64, 0);
  summed_.assign(n, 0);
  window_docs_.assign(n * kWindow, 0);
  window_count_.assign(n, 0);
  window_pos_.assign(n, 0);
  window_at_.assign(n, 0);
}

bool MaxScoreWalk::next(double threshold, uint32_t& doc, uint32_t* pos) {
  if (found_next_ == found_.size() && !fillWindow(threshold)) return false;
  const size_t n = terms_.size();
  doc = found_[found_next_];
  std::copy_n(found_pos_.begin() + static_cast<ptrdiff_t>(found_next_ * n), n, pos);
  ++found_next_;
  return true;
}

void MaxScoreWalk::sumWindow(size_t i, uint32_t end, bool mark) {
  const uint8_t* weights = terms_[i].list->weights();
  const double* bound = terms_[i].bound.data();
  double* sums = sums_.data();
  uint64_t* marks = marks_.data();
  uint32_t* docs = &window_docs_[i * kWindow];
  const uint32_t base = base_;
  size_t count = 0;
  summed_[i] = 1;
  window_pos_[i] = cursors_[i].pos();
  window_at_[i] = 0;
  if (mark) {
    cursors_[i].forEachBelow(end, [&](uint32_t doc, size_t pos) {
      const uint32_t x = doc - base;
      sums[x] += bound[weights[pos]];
      marks[x / 64] |= uint64_t{1} << (x % 64);
      docs[count++] = doc;
    });
  } else {
    cursors_[i].forEachBelow(end, [&](uint32_t doc, size_t pos) {
      const uint32_t x = doc - base;
      const bool marked = ((marks[x / 64] >> (x % 64)) & 1) != 0;
      sums[x] += marked ? bound[weights[pos]] : 0.0;  // unmarked ones stay 0
      docs[count++] = doc;
    });
  }
  window_count_[i] = count;
}

bool MaxScoreWalk::probe(size_t i, uint32_t doc, uint32_t& pos) {
  const PostingList& list = *terms_[i].list;
  if (list.dense()) {
    size_t at = 0;
    if (!list.find(doc, at)) return false;
    pos = static_cast<uint32_t>(at);
    return true;
  }
  PostingList::Cursor& c = cursors_[i];
  c.seek(doc);
  if (c.doc() != doc) return false;
  pos = static_cast<uint32_t>(c.pos());
  return true;
}

bool MaxScoreWalk::fillWindow(double threshold) {
  const size_t n = terms_.size();
  found_.clear();
  found_pos_.clear();
  found_next_ = 0;
  while (first_essential_ < n && prefix_[first_essential_] + slack_ < threshold) ++first_essential_;
  for (;;) {
    // The window starts at the first doc of an essential list left.
    uint32_t first = PostingList::kEnd;
    size_t essential_postings = 0;
    for (size_t k = first_essential_; k < n; ++k) {
      first = std::min(first, cursors_[order_[k]].doc());
      essential_postings += terms_[order_[k]].list->size();
    }
    if (first == PostingList::kEnd) return false;  // also when no list is essential
    base_ = first;
    const uint32_t end = base_ < PostingList::kEnd - kWindow ? base_ + kWindow : PostingList::kEnd;

    std::fill(summed_.begin(), summed_.end(), 0);
    for (size_t k = first_essential_; k < n; ++k) sumWindow(order_[k], end, /*mark=*/true);
    probed_.clear();
    for (size_t k = first_essential_; k-- > 0;) {
      const size_t i = order_[k];
      const PostingList& list = *terms_[i].list;
      const double probe_cost = list.dense() ? kDenseProbeCost : kPackedProbeCost;
      if (static_cast<double>(list.size()) > probe_cost * static_cast<double>(essential_postings)) {
        probed_.push_back(i);
        continue;
      }
      cursors_[i].seek(base_);
      sumWindow(i, end, /*mark=*/false);
    }
    probed_rest_.assign(probed_.size() + 1, 0.0);
    for (size_t j = probed_.size(); j-- > 0;)
      probed_rest_[j] = probed_rest_[j + 1] + largest_[probed_[j]];

    // The candidates, in doc order: those that may reach the threshold with
    // the probed lists, probed from the largest bound down while they may.
    double* sums = sums_.data();
    const double lift = probed_rest_[0] + slack_;  // the most a candidate may still gain
    for (size_t w = 0; w < marks_.size(); ++w) {
      for (uint64_t bits = marks_[w]; bits != 0; bits &= bits - 1) {
        const size_t x = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        double gain = sums[x];
        sums[x] = 0;
        if (gain + lift < threshold) continue;
        const uint32_t doc = base_ + static_cast<uint32_t>(x);
        const size_t at = found_pos_.size();
        found_pos_.resize(at + n, kAbsent);
        uint32_t* pos = &found_pos_[at];
        size_t j = 0;
        for (; j < probed_.size() && gain + probed_rest_[j] + slack_ >= threshold; ++j) {
          const size_t i = probed_[j];
          if (probe(i, doc, pos[i])) gain += terms_[i].bound[terms_[i].list->weight(pos[i])];
        }
        if (j < probed_.size() || gain + slack_ < threshold || (admit_ && !admit_(doc))) {
          found_pos_.resize(at);
          continue;
        }
        for (size_t i = 0; i < n; ++i) {
          if (!summed_[i]) continue;
          const uint32_t* docs = &window_docs_[i * kWindow];
          const size_t count = window_count_[i];
          size_t k = window_at_[i];
          while (k < count && docs[k] < doc) ++k;
          if (k < count && docs[k] == doc) pos[i] = static_cast<uint32_t>(window_pos_[i] + k);
          window_at_[i] = k;
        }
        found_.push_back(doc);
      }
      marks_[w] = 0;
    }
    if (!found_.empty()) return true;
  }
}

}  // namespace aigate::library
