// The seqs (assets.seq) of the search index's docs, by doc: ascending, and
// mostly consecutive (gaps only where rows were deleted), so stored in
// blocks of 128 holding the block's first seq and, bit-packed, how far each
// seq is past first + its index in the block: nothing at all for a block
// without gaps. The partial last block is kept unpacked.
//
// Not thread-safe; const methods may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace aigate::library {

class SeqColumn {
 public:
  static constexpr size_t kBlock = 128;

  size_t size() const { return blocks_.size() * kBlock + tail_.size(); }
  bool empty() const { return size() == 0; }
  int64_t operator[](size_t doc) const;
  int64_t back() const { return (*this)[size() - 1]; }

  // REQUIRES: `seq` above back().
  void push_back(int64_t seq);
  // REQUIRES: !empty().
  void pop_back();

  // The first doc whose seq is >= `seq`; size() when there is none.
  size_t lowerBound(int64_t seq) const;

  void shrinkToFit();
  // Bytes held, allocator overhead aside.
  size_t bytes() const;

 private:
  struct Block {
    int64_t first;    // the block's first seq
    uint32_t offset;  // where its packed values are in data_
    int width;
  };
  // seq - first - i for i = 1 … kBlock - 1 of block `b`
  uint64_t excess(const Block& b, size_t i) const;

  std::vector<Block> blocks_;
  std::vector<uint8_t> data_;  // followed by bitpack::kPadding zero bytes
  std::vector<int64_t> tail_;  // the seqs after the last full block
};

}  // namespace aigate::library
