#include "core/library/posting_list.h"

#include "core/library/bit_pack.h"

#include <algorithm>
#include <bit>

namespace aigate::library {
namespace {

// A term in at least 1/kDenseShare of the docs is stored as a bitmap.
constexpr size_t kDenseShare = 16;
constexpr size_t kDenseMinDocs = 64;

// Makes room for `more` elements, growing by a quarter rather than doubling:
// while the index is built its lists are all growing, and doubling would
// leave a third of the memory they hold unused on average.
template <typename T>
void reserveMore(std::vector<T>& v, size_t more) {
  if (v.size() + more <= v.capacity()) return;
  v.reserve(std::max(v.size() + more, v.capacity() + v.capacity() / 4 + 16));
}

}  // namespace

void PostingList::append(uint32_t doc, uint8_t weight) {
  reserveMore(weights_, 1);
  weights_.push_back(weight);
  max_weight_ = std::max(max_weight_, weight);
  addDoc(doc);
}

void PostingList::addDoc(uint32_t doc) {
  if (dense_) {
    setBit(doc);
  } else {
    tail_.push_back(doc);
    if (tail_.size() == kBlock) packTail();
  }
  ++count_;
}

void PostingList::setBit(uint32_t doc) {
  while (ranks_.size() <= (doc >> 9)) ranks_.push_back(count_);
  const size_t bytes = ((doc >> 6) + 1) * sizeof(uint64_t);
  if (data_.size() < bytes) data_.resize(bytes, 0);
  data_[doc >> 3] |= static_cast<uint8_t>(1u << (doc & 7));
}

void PostingList::packTail() {
  auto gap = [&](size_t i) { return uint64_t{tail_[i + 1] - tail_[i] - 1}; };
  uint64_t widest = 0;
  for (size_t i = 0; i + 1 < kBlock; ++i) widest = std::max(widest, gap(i));
  const int width = bitpack::widthFor(widest);  // at most 32: gaps are below 2^32
  // The width byte goes in the padding of the previous block, or in front.
  const size_t offset = data_.empty() ? 0 : data_.size() - bitpack::kPadding;
  reserveMore(data_, 1 + ((kBlock - 1) * static_cast<size_t>(width) + 7) / 8 +
                         (data_.empty() ? bitpack::kPadding : 0));
  if (data_.empty())
    data_.assign(1 + bitpack::kPadding, 0);
  else
    data_.insert(data_.end() - bitpack::kPadding, 0);
  data_[offset] = static_cast<uint8_t>(width);
  reserveMore(skips_, 1);
  skips_.push_back({tail_.front(), static_cast<uint32_t>(offset)});
  bitpack::append(data_, kBlock - 1, width, gap);
  tail_.clear();
}

uint64_t PostingList::word(size_t w) const {
  return bitpack::load64(data_.data() + w * sizeof(uint64_t));
}

size_t PostingList::rankOfWord(size_t w) const {
  size_t rank = ranks_[w >> 3];
  for (size_t k = (w >> 3) << 3; k < w; ++k) rank += static_cast<size_t>(std::popcount(word(k)));
  return rank;
}

bool PostingList::find(uint32_t doc, size_t& pos) const {
  const size_t w = doc >> 6;
  if (w >= data_.size() / sizeof(uint64_t)) return false;
  const uint64_t bits = word(w);
  const uint64_t bit = uint64_t{1} << (doc & 63);
  if ((bits & bit) == 0) return false;
  pos = rankOfWord(w) + static_cast<size_t>(std::popcount(bits & (bit - 1)));
  return true;
}

std::vector<uint32_t> PostingList::allDocs() const {
  std::vector<uint32_t> docs;
  docs.reserve(count_);
  for (Cursor c(*this); !c.done(); c.next()) docs.push_back(c.doc());
  return docs;
}

void PostingList::rebuild(const std::vector<uint32_t>& docs, bool dense) {
  count_ = 0;
  dense_ = dense;
  data_.clear();
  skips_.clear();
  tail_.clear();
  ranks_.clear();
  for (uint32_t doc : docs) addDoc(doc);
}

void PostingList::fit(size_t docs_total) {
  const bool dense = count_ >= kDenseMinDocs && count_ * kDenseShare >= docs_total;
  if (dense != dense_) rebuild(allDocs(), dense);
  weights_.shrink_to_fit();
  data_.shrink_to_fit();
  skips_.shrink_to_fit();
  tail_.shrink_to_fit();
  ranks_.shrink_to_fit();
}

size_t PostingList::bytes() const {
  return sizeof(*this) + weights_.capacity() + data_.capacity() + skips_.capacity() * sizeof(Skip) +
         (tail_.capacity() + ranks_.capacity()) * sizeof(uint32_t);
}

void PostingList::Cursor::load(size_t b) {
  const PostingList& l = *list_;
  block_ = b;
  i_ = 0;
  n_ = 0;
  docs_[0] = kEnd;  // until a doc is decoded
  if (l.dense_) {
    const size_t words = l.data_.size() / sizeof(uint64_t);
    size_t w = 2 * b;
    if (w >= words) {
      first_pos_ = l.count_;
      return;
    }
    first_pos_ = l.rankOfWord(w);
    for (; w < words && n_ == 0; w += 2) {  // empty stretches add nothing to the rank
      block_ = w / 2;
      for (size_t k = w; k < std::min(w + 2, words); ++k)
        for (uint64_t bits = l.word(k); bits != 0; bits &= bits - 1)
          docs_[n_++] = static_cast<uint32_t>(k * 64 + static_cast<size_t>(std::countr_zero(bits)));
    }
    return;
  }
  first_pos_ = b * kBlock;
  if (b < l.skips_.size()) {
    const uint8_t* p = l.data_.data() + l.skips_[b].offset;
    const int width = *p++;
    uint32_t doc = l.skips_[b].first;
    docs_[0] = doc;
    for (uint32_t j = 1; j < kBlock; ++j) {
      doc += 1 + static_cast<uint32_t>(bitpack::read(p, j - 1, width));
      docs_[j] = doc;
    }
    n_ = kBlock;
  } else if (b == l.skips_.size()) {
    std::copy(l.tail_.begin(), l.tail_.end(), docs_.begin());
    n_ = static_cast<uint32_t>(l.tail_.size());
  } else {
    first_pos_ = l.count_;
  }
}

void PostingList::Cursor::seek(uint32_t target) {
  if (done() || target <= docs_[i_]) return;
  if (target <= docs_[n_ - 1]) {
    while (docs_[i_] < target) ++i_;
    return;
  }
  const PostingList& l = *list_;
  size_t b = block_ + 1;
  if (l.dense_) {
    b = std::max<size_t>(b, target / kBlock);
  } else {
    // The last block whose first doc is <= target, by galloping over the
    // skip entries then halving.
    const size_t blocks = l.skips_.size() + (l.tail_.empty() ? 0 : 1);
    if (b < blocks && l.firstOf(b) <= target) {
      size_t step = 1;
      while (b + step < blocks && l.firstOf(b + step) <= target) {
        b += step;
        step *= 2;
      }
      size_t above = std::min(b + step, blocks);  // firstOf(above) > target, or the end
      while (above - b > 1) {
        const size_t mid = b + (above - b) / 2;
        if (l.firstOf(mid) <= target)
          b = mid;
        else
          above = mid;
      }
    }
  }
  load(b);
  while (i_ < n_ && docs_[i_] < target) ++i_;
  if (i_ == n_ && n_ > 0) load(block_ + 1);
}

}  // namespace aigate::library
