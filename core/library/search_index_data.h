// Internal to the in-memory search index (search_index.h): included only by
// its .cc files. Declares what they share: the index's data
// (SearchIndex::Data: terms, posting lists, packed per-doc keys), FTS5's
// tokenizer (SearchIndex::Tokenizer), and the constants and helpers both the
// building (search_index_data.cc) and the searching (search_index_query.cc)
// read.
#pragma once

#include "core/library/posting_list.h"
#include "core/library/search_index.h"
#include "core/library/seq_column.h"

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace aigate::library {

// FTS5_MAX_TOKEN_SIZE: FTS5 indexes longer tokens cut to this many bytes.
inline constexpr size_t kMaxTokenBytes = 32768;
// A posting's weight byte is its weighted frequency, 10*tf(title) +
// 6*tf(tags) + 2*tf(description) + 3*tf(topic); one that does not fit below
// this holds this, and the weight is in Data::heavy_weights.
inline constexpr uint8_t kHeavyWeight = 0xFF;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// The distinct values of a filter column, numbered from 1 (0 is NULL).
class Values {
 public:
  uint32_t idOf(std::string_view value) {
    auto it = ids_.find(value);
    if (it != ids_.end()) return it->second;
    const auto id = static_cast<uint32_t>(ids_.size() + 1);
    ids_.emplace(std::string(value), id);
    return id;
  }
  std::optional<uint32_t> find(std::string_view value) const {
    auto it = ids_.find(value);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  size_t bytes() const {
    size_t n = 0;
    for (const auto& [k, v] : ids_) n += sizeof(k) + k.capacity() + sizeof(v) + 2 * sizeof(void*);
    return n;
  }

 private:
  StringMap<uint32_t> ids_;
};

// What a search reads of every matching doc, packed in 8 bytes so that the
// per-doc array is all the index keeps per doc (with the seqs) and stays
// small enough for the caches: the length, the deleted flag, and the type,
// aspect ratio, topic and owner ids. A value the field cannot hold reads as
// the field's maximum and is kept in Data::wide_ids.
struct Field {
  int shift;
  uint64_t max;
};
inline constexpr Field kLength{0, 0xFFFF};  // 16 bits
inline constexpr uint64_t kDeletedBit = uint64_t{1} << 16;
inline constexpr Field kType{17, 63};                     // 6 bits
inline constexpr Field kAspect{23, 1023};                 // 10 bits
inline constexpr Field kTopic{33, 8191};                  // 13 bits
inline constexpr Field kOwner{46, (uint64_t{1} << 18) - 1};  // 18 bits; 0: the shared library

// FTS5's own tokenizer, "porter unicode61 remove_diacritics 2" as the
// assets_fts table declares it, from a private in-memory connection (the
// tokenizer needs no database; this way it outlives any caller's connection).
// Not thread-safe: one caller at a time.
class SearchIndex::Tokenizer {
 public:
  Tokenizer();
  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Calls on_token(token, tflags) for each token of `text`; `flags` is
  // FTS5_TOKENIZE_DOCUMENT or FTS5_TOKENIZE_QUERY.
  template <typename F>
  void tokenize(std::string_view text, int flags, F&& on_token) {
    using Fn = std::remove_reference_t<F>;
    auto trampoline = [](void* ctx, int tflags, const char* token, int bytes, int, int) -> int {
      (*static_cast<Fn*>(ctx))(std::string_view(token, static_cast<size_t>(bytes)), tflags);
      return SQLITE_OK;
    };
    methods_.xTokenize(tokenizer_, static_cast<void*>(&on_token), flags, text.data(),
                       static_cast<int>(text.size()), trampoline);
  }

 private:
  sqlite3* db_ = nullptr;
  fts5_tokenizer methods_{};
  Fts5Tokenizer* tokenizer_ = nullptr;
};

struct SearchIndex::Data {
  StringMap<uint32_t> terms;  // token → index in postings
  std::vector<PostingList> postings;
  std::unordered_map<uint64_t, uint32_t> heavy_weights;  // (term << 32 | doc) → weight
  // By doc, in seq order (so that ties broken by doc are broken by seq).
  SeqColumn seqs;
  std::vector<uint64_t> keys;                        // see Field
  std::unordered_map<uint64_t, uint32_t> wide_ids;  // (shift << 32 | doc) → value
  Values types, topics, aspects, owners;
  std::vector<uint32_t> pending_deleted;  // sorted: deleted docs still in posting lists
  int64_t live = 0;          // docs not deleted: FTS5's row count
  int64_t total_length = 0;  // their lengths summed: FTS5's total size
  // At most the length of every doc (deleted ones included): bounds scores.
  uint32_t min_length = std::numeric_limits<uint32_t>::max();

  // The weight of the posting of `doc` at `pos` in the list of `term`.
  uint32_t weight(uint32_t term, uint32_t doc, size_t pos) const {
    const uint8_t w = postings[term].weight(pos);
    if (w != kHeavyWeight) return w;
    return heavy_weights.at((uint64_t{term} << 32) | doc);
  }

  // The value of `field` in `key`, the key of `doc`.
  uint32_t get(uint64_t key, uint32_t doc, Field field) const {
    const uint64_t value = (key >> field.shift) & field.max;
    if (value != field.max) return static_cast<uint32_t>(value);
    return wide_ids.at((uint64_t(field.shift) << 32) | doc);
  }
  // `value` as `field` of the key of `doc`.
  uint64_t pack(uint32_t doc, uint32_t value, Field field);

  // The number of live docs holding `term`: FTS5's hit count for it.
  int64_t docFrequency(uint32_t term) const {
    const PostingList& list = postings[term];
    auto n = static_cast<int64_t>(list.size());
    PostingList::Cursor cursor(list);
    for (uint32_t doc : pending_deleted) {
      cursor.seek(doc);
      if (cursor.done()) break;
      if (cursor.doc() == doc) --n;
    }
    return n;
  }

  uint32_t termId(std::string_view token);

  bool deleted(size_t doc) const { return (keys[doc] & kDeletedBit) != 0; }

  // The highest seq of a live doc (0 when none): every row of the table above
  // it is new to the index.
  int64_t maxLiveSeq() const;

  // The live doc of `seq`, or -1.
  int64_t liveDoc(int64_t seq) const;

  void markDeleted(size_t doc);

  // Drops deleted docs from every posting list.
  void compact();

  // Forgets the deleted docs at the end, so that new rows whose seqs SQLite
  // took again (it reuses those above the highest live one) append in order.
  void trimDeletedTail();

  // Makes room in keys for the rows with seq > `after`: all of them at
  // once (growing by doubling leaves up to half the array unused), and
  // an eighth more when catching up, so that one new row at a time does not
  // copy the array each time.
  void reserveKeys(store::Conn& c, int64_t after);

  // Indexes the rows with seq > `after`, in seq order.
  // REQUIRES: no doc has a seq above `after` (see trimDeletedTail).
  void appendRows(store::Conn& c, int64_t after, Tokenizer& tokenizer);

  // Fits every vector to its size and lays out the posting lists for the
  // library's size (bitmaps for dense terms).
  void shrink();

  // Memory held, roughly (allocator overhead aside).
  size_t bytes() const;
};

}  // namespace aigate::library
