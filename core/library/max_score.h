// Exact dynamic pruning for the best k docs of an any-term search of the
// in-memory index (search_index.h): MaxScore (Turtle & Flood, 1995), a
// window of docs at a time as Lucene's MaxScoreBulkScorer does it.
//
// Gains here are positive, higher is better (the search's bm25() negated),
// and known to the walk only through bounds: what a posting of a given
// weight byte may add to a doc's gain at most. The lists whose largest
// bounds summed stay below the threshold (the gain a doc needs to be kept)
// are "non-essential": a doc found in those alone cannot reach it, so only
// the docs of the other, "essential" lists are candidates. Per window of
// kWindow docs, the bounds of the essential lists' postings are summed into
// an array (no per-doc merge of lists); a non-essential list is summed in
// too when it is short enough, and otherwise probed for the candidates that
// may still reach the threshold with it, from the largest bound down,
// dropping a candidate as soon as what it may still gain cannot.
//
// Not thread-safe; the lists must not change during the walk.
#pragma once

#include "core/library/posting_list.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace aigate::library {

class MaxScoreWalk {
 public:
  // A position for a list that does not hold the doc.
  static constexpr uint32_t kAbsent = 0xFFFFFFFF;
  // Bounds are trusted up to this share of the largest gain a doc may have
  // (the sum of every list's largest bound): the caller's gains may exceed
  // the sum of their bounds by that much through rounding, no more.
  static constexpr double kSlack = 1e-9;
  // The docs a window spans.
  static constexpr uint32_t kWindow = 2048;

  struct Term {
    const PostingList* list;
    // bound[w]: at least what a posting of weight byte `w` adds to a doc's
    // gain (the bytes above the list's maxWeight() are never read).
    std::array<double, 256> bound;
  };

  // `admit`, when given, says which docs may be given at all (the caller's
  // filters): the others are left out whatever their gain.
  explicit MaxScoreWalk(std::vector<Term> terms, std::function<bool(uint32_t doc)> admit = {});

  // Moves to the next doc, in ascending doc order, that is in some list, is
  // admitted and whose gain may be `threshold` or more, and gives its position in each
  // list (terms[i] → pos[i], kAbsent when not there). False when no doc is
  // left that may. The docs left out all have a gain surely below the
  // threshold of some call no later than the one that passed them (the
  // walk decides a window's docs at once).
  // REQUIRES: `threshold` never goes down from one call to the next; `pos`
  // has room for one position per term.
  bool next(double threshold, uint32_t& doc, uint32_t* pos);

 private:
  // Finds the docs of the next window holding a doc of an essential list
  // that may reach `threshold`. False when there is none.
  bool fillWindow(double threshold);
  // Adds the bounds of list i's postings in the window to sums_, marking
  // their docs as candidates when `mark` (a non-essential list adds to the
  // marked docs only), and keeps its docs in window_docs_.
  void sumWindow(size_t i, uint32_t end, bool mark);
  // Whether list i holds `doc` (its cursor moves there), and where.
  bool probe(size_t i, uint32_t doc, uint32_t& pos);

  std::vector<Term> terms_;
  std::function<bool(uint32_t)> admit_;
  std::vector<PostingList::Cursor> cursors_;  // by term
  std::vector<double> largest_;               // by term: its largest bound
  std::vector<size_t> order_;                 // terms by largest bound, ascending
  std::vector<double> prefix_;                // prefix_[k]: largest_ of order_[0..k] summed
  double slack_ = 0;                          // kSlack of the largest gain a doc may have
  // order_[0..first_essential_) are the lists whose largest bounds summed
  // stay below the threshold: a doc found only there cannot reach it.
  size_t first_essential_ = 0;

  // The window: docs [base_, base_ + kWindow).
  uint32_t base_ = 0;
  std::vector<double> sums_;     // by doc - base_: the bounds summed; 0 when unmarked
  std::vector<uint64_t> marks_;  // bit doc - base_: a candidate
  std::vector<char> summed_;     // by term: summed into sums_
  // By summed term: its docs in the window (window_count_[i] of them from
  // window_docs_[i * kWindow], from position window_pos_[i]), and how many
  // of them are below the candidate at hand.
  std::vector<uint32_t> window_docs_;
  std::vector<size_t> window_count_;
  std::vector<size_t> window_pos_;
  std::vector<size_t> window_at_;
  // The non-essential terms probed rather than summed, largest bound first;
  // probed_rest_[j]: largest_ of probed_[j..] summed.
  std::vector<size_t> probed_;
  std::vector<double> probed_rest_;
  // The window's docs that may reach the threshold, with terms_.size()
  // positions each; next() hands them out from found_next_.
  std::vector<uint32_t> found_;
  std::vector<uint32_t> found_pos_;
  size_t found_next_ = 0;
};

}  // namespace aigate::library
