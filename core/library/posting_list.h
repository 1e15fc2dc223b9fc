// The posting list of one term of the in-memory search index
// (search_index.h): the ascending doc numbers holding the term, with one
// weight byte per posting, packed so that a million-asset index fits in
// tens of MiB.
//
// A list is stored one of two ways:
//  - packed: blocks of kBlock docs, each the gaps between consecutive docs
//    bit-packed at the width of the block's largest gap, with a skip entry
//    per block (its first doc and byte offset) so that a cursor jumps
//    over blocks; the last, partial block is kept unpacked until full;
//  - dense (a term in a large share of the docs, see fit()): a bitmap of
//    the docs, with the count of postings before each 512-doc stretch, so
//    that an AND tests one bit per doc of the shorter list.
// Either way a posting keeps its position (the number of postings before
// it), by which its weight is read.
//
// Not thread-safe; const methods may run concurrently.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace aigate::library {

class PostingList {
 public:
  static constexpr size_t kBlock = 128;
  // Above every doc (docs are below 2^32 - 1).
  static constexpr uint32_t kEnd = 0xFFFFFFFF;

  size_t size() const { return count_; }
  bool dense() const { return dense_; }

  // Adds a posting. REQUIRES: `doc` above every doc held.
  void append(uint32_t doc, uint8_t weight);

  // The weight byte of the posting at `pos`; weights() is all of them.
  uint8_t weight(size_t pos) const { return weights_[pos]; }
  const uint8_t* weights() const { return weights_.data(); }
  // The largest weight byte held (0 when empty): what bounds the scores of
  // an any-term search (max_score.h).
  uint8_t maxWeight() const { return max_weight_; }

  // Dense lists: whether `doc` is in the list, and at which position.
  bool find(uint32_t doc, size_t& pos) const;

  // Drops the postings of the docs for which gone(doc) is true.
  template <typename F>
  void removeIf(F&& gone);

  // Picks the layout for a library of `docs_total` docs (dense when the term
  // is in at least 1/16 of them) and gives back unused capacity.
  void fit(size_t docs_total);

  // Bytes held, allocator overhead aside.
  size_t bytes() const;

  // Walks the list in doc order, a block at a time.
  class Cursor {
   public:
    explicit Cursor(const PostingList& list) : list_(&list) { load(0); }
    bool done() const { return i_ >= n_; }
    // kEnd once done(), so that a merge needs no other test.
    uint32_t doc() const { return docs_[i_]; }
    size_t pos() const { return first_pos_ + i_; }
    void next() {
      if (++i_ == n_) load(block_ + 1);
    }
    // Moves to the first posting whose doc is >= `target` (not back).
    void seek(uint32_t target);
    // Calls f(doc, pos) for each posting from here whose doc is below
    // `end`, moving past them: a tight loop over each decoded block.
    template <typename F>
    void forEachBelow(uint32_t end, F&& f) {
      while (i_ < n_ && docs_[i_] < end) {
        if (docs_[n_ - 1] >= end) {
          for (; docs_[i_] < end; ++i_) f(docs_[i_], first_pos_ + i_);
          return;
        }
        for (; i_ < n_; ++i_) f(docs_[i_], first_pos_ + i_);
        load(block_ + 1);
      }
    }

   private:
    // Decodes block `b` (a packed block, the partial one, or a 128-doc
    // stretch of the bitmap); past the end, done().
    void load(size_t b);

    const PostingList* list_;
    size_t block_ = 0;
    size_t first_pos_ = 0;  // position of docs_[0]
    uint32_t n_ = 0;        // docs decoded
    uint32_t i_ = 0;
    std::array<uint32_t, kBlock> docs_;
  };

 private:
  struct Skip {
    uint32_t first;   // the block's first doc
    uint32_t offset;  // where its width byte is in data_
  };

  uint32_t firstOf(size_t b) const { return b < skips_.size() ? skips_[b].first : tail_.front(); }
  void addDoc(uint32_t doc);  // the doc of a posting whose weight is in weights_
  void packTail();
  void setBit(uint32_t doc);
  uint64_t word(size_t w) const;
  size_t rankOfWord(size_t w) const;  // dense: postings in the words before `w`
  std::vector<uint32_t> allDocs() const;
  void rebuild(const std::vector<uint32_t>& docs, bool dense);

  uint32_t count_ = 0;
  bool dense_ = false;
  uint8_t max_weight_ = 0;
  std::vector<uint8_t> weights_;
  // Packed: per block a width byte then the gaps (doc - previous doc - 1),
  // followed by bitpack::kPadding zero bytes so that a gap is read with one 8-byte
  // load. Dense: the bitmap, bit `doc` set when the list holds it.
  std::vector<uint8_t> data_;
  std::vector<Skip> skips_;      // packed only
  std::vector<uint32_t> tail_;   // packed only: the docs after the last full block
  std::vector<uint32_t> ranks_;  // dense only: postings before each 512-doc stretch
};

template <typename F>
void PostingList::removeIf(F&& gone) {
  std::vector<uint32_t> docs;
  std::vector<uint8_t> weights;
  for (Cursor c(*this); !c.done(); c.next()) {
    if (gone(c.doc())) continue;
    docs.push_back(c.doc());
    weights.push_back(weights_[c.pos()]);
  }
  if (docs.size() == count_) return;
  weights_ = std::move(weights);
  max_weight_ = weights_.empty() ? 0 : *std::max_element(weights_.begin(), weights_.end());
  rebuild(docs, dense_);
}

}  // namespace aigate::library
