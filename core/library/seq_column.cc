#include "core/library/seq_column.h"

#include "core/library/bit_pack.h"

#include <algorithm>

namespace aigate::library {

uint64_t SeqColumn::excess(const Block& b, size_t i) const {
  return i == 0 ? 0 : bitpack::read(data_.data() + b.offset, i - 1, b.width);
}

int64_t SeqColumn::operator[](size_t doc) const {
  const size_t b = doc / kBlock;
  if (b >= blocks_.size()) return tail_[doc - blocks_.size() * kBlock];
  const size_t i = doc % kBlock;
  // In unsigned arithmetic: seqs may be negative, and their distances need 64 bits.
  return static_cast<int64_t>(static_cast<uint64_t>(blocks_[b].first) + i + excess(blocks_[b], i));
}

void SeqColumn::push_back(int64_t seq) {
  tail_.push_back(seq);
  if (tail_.size() < kBlock) return;
  const auto first = static_cast<uint64_t>(tail_.front());
  auto value = [&](size_t i) { return static_cast<uint64_t>(tail_[i + 1]) - first - (i + 1); };
  const int width = bitpack::widthFor(value(kBlock - 2));  // the excess never shrinks
  const size_t offset = data_.empty() ? 0 : data_.size() - bitpack::kPadding;
  blocks_.push_back({tail_.front(), static_cast<uint32_t>(offset), width});
  bitpack::append(data_, kBlock - 1, width, value);
  tail_.clear();
}

void SeqColumn::pop_back() {
  if (tail_.empty()) {
    const size_t first_doc = (blocks_.size() - 1) * kBlock;
    for (size_t i = 0; i < kBlock; ++i) tail_.push_back((*this)[first_doc + i]);
    data_.resize(blocks_.back().offset);
    if (!data_.empty()) data_.insert(data_.end(), bitpack::kPadding, 0);
    blocks_.pop_back();
  }
  tail_.pop_back();
}

size_t SeqColumn::lowerBound(int64_t seq) const {
  if (!tail_.empty() && seq >= tail_.front())
    return blocks_.size() * kBlock +
           static_cast<size_t>(std::lower_bound(tail_.begin(), tail_.end(), seq) - tail_.begin());
  // The last block starting at or below `seq`, then a binary search in it.
  const auto above = std::upper_bound(blocks_.begin(), blocks_.end(), seq,
                                      [](int64_t s, const Block& b) { return s < b.first; });
  if (above == blocks_.begin()) return 0;
  const size_t first_doc = static_cast<size_t>(above - blocks_.begin() - 1) * kBlock;
  size_t lo = 0;
  size_t hi = kBlock;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if ((*this)[first_doc + mid] < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return first_doc + lo;
}

void SeqColumn::shrinkToFit() {
  blocks_.shrink_to_fit();
  data_.shrink_to_fit();
  tail_.shrink_to_fit();
}

size_t SeqColumn::bytes() const {
  return blocks_.capacity() * sizeof(Block) + data_.capacity() + tail_.capacity() * sizeof(int64_t);
}

}  // namespace aigate::library
