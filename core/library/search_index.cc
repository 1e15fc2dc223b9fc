#include "core/library/search_index.h"

#include "core/library/max_score.h"
#include "core/library/posting_list.h"
#include "core/library/seq_column.h"

#include <sqlite3.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <type_traits>
#include <unordered_map>

namespace aigate::library {
namespace {

// FTS5's bm25() constants (ext/fts5/fts5_aux.c).
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
// The weights search() ranks with: bm25(assets_fts, 10.0, 6.0, 2.0, 3.0) over
// the columns title, tags, description, topic.
constexpr uint32_t kColumnWeights[4] = {10, 6, 2, 3};
// FTS5_MAX_TOKEN_SIZE: FTS5 indexes longer tokens cut to this many bytes.
constexpr size_t kMaxTokenBytes = 32768;
// A posting's weight byte is its weighted frequency, 10*tf(title) +
// 6*tf(tags) + 2*tf(description) + 3*tf(topic); one that does not fit below
// this holds this, and the weight is in Data::heavy_weights.
constexpr uint8_t kHeavyWeight = 0xFF;
// Deleted assets stay in the posting lists (flagged) until this many pile up.
constexpr size_t kCompactAfter = 1024;
// Catching up with more new assets than this rebuilds the index aside, so
// that searches go on meanwhile.
constexpr int64_t kRebuildAfterRows = 50000;

// Rows the asset cache keeps at most: about 10 MiB of hot assets.
constexpr size_t kCachedAssets = 8192;

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
constexpr Field kLength{0, 0xFFFF};  // 16 bits
constexpr uint64_t kDeletedBit = uint64_t{1} << 16;
constexpr Field kType{17, 63};                     // 6 bits
constexpr Field kAspect{23, 1023};                 // 10 bits
constexpr Field kTopic{33, 8191};                  // 13 bits
constexpr Field kOwner{46, (uint64_t{1} << 18) - 1};  // 18 bits; 0: the shared library

// Gives the pages freed while the index was built (its lists outgrew their
// buffers; a rebuild drops the old index) back to the system: glibc keeps
// them otherwise, and the process would stay near its peak size.
void releaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

std::string dbError(sqlite3* db, const char* what) {
  return std::string("search index: ") + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

int64_t readVersion(store::Conn& c) {
  auto& q = c.statement("SELECT version FROM library_version");
  const int64_t version = q.executeStep() ? q.getColumn(0).getInt64() : 0;
  q.reset();
  return version;
}

// Between beginBulkLoad and endBulkLoad the FTS5 index lags the table.
bool bulkLoadRunning(store::Conn& c) {
  auto& q = c.statement(
      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'assets_fts_insert'");
  q.executeStep();
  const bool running = q.getColumn(0).getInt() == 0;
  q.reset();
  return running;
}

bool atLeastAssets(store::Conn& c, int64_t n) {
  if (n <= 0) return true;
  auto& q = c.statement("SELECT COUNT(*) FROM (SELECT 1 FROM assets LIMIT ?)");
  q.bind(1, n);
  q.executeStep();
  const bool enough = q.getColumn(0).getInt64() >= n;
  q.reset();
  return enough;
}

// A read transaction on a connection in autocommit mode: one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(store::Conn& c) : c_(c) { c_.db().exec("BEGIN"); }
  ~ReadTransaction() {
    // Never leave the connection inside a transaction: it would read this
    // snapshot forever.
    if (sqlite3_get_autocommit(c_.db().getHandle())) return;
    if (sqlite3_exec(c_.db().getHandle(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK)
      sqlite3_exec(c_.db().getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  store::Conn& c_;
};

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

// FTS5's own tokenizer, "porter unicode61 remove_diacritics 2" as the
// assets_fts table declares it, from a private in-memory connection (the
// tokenizer needs no database; this way it outlives any caller's connection).
// Not thread-safe: one caller at a time.
class SearchIndex::Tokenizer {
 public:
  Tokenizer() {
    if (sqlite3_open_v2(":memory:", &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      const std::string message = dbError(db_, "open");
      sqlite3_close(db_);
      throw std::runtime_error(message);
    }
    fts5_api* api = nullptr;
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT fts5(?1)", -1, &stmt, nullptr) == SQLITE_OK) {
      sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
      sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    void* user_data = nullptr;
    const char* args[] = {"unicode61", "remove_diacritics", "2"};
    if (!api || api->xFindTokenizer(api, "porter", &user_data, &methods_) != SQLITE_OK ||
        methods_.xCreate(user_data, args, 3, &tokenizer_) != SQLITE_OK) {
      sqlite3_close(db_);
      throw std::runtime_error("search index: SQLite has no FTS5 porter tokenizer");
    }
  }
  ~Tokenizer() {
    methods_.xDelete(tokenizer_);
    sqlite3_close(db_);
  }
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
  uint64_t pack(uint32_t doc, uint32_t value, Field field) {
    if (value < field.max) return uint64_t{value} << field.shift;
    wide_ids[(uint64_t(field.shift) << 32) | doc] = value;
    return field.max << field.shift;
  }

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

  uint32_t termId(std::string_view token) {
    auto it = terms.find(token);
    if (it != terms.end()) return it->second;
    const auto id = static_cast<uint32_t>(postings.size());
    terms.emplace(std::string(token), id);
    postings.emplace_back();
    return id;
  }

  bool deleted(size_t doc) const { return (keys[doc] & kDeletedBit) != 0; }

  // The highest seq of a live doc (0 when none): every row of the table above
  // it is new to the index.
  int64_t maxLiveSeq() const {
    for (size_t i = keys.size(); i > 0; --i)
      if (!deleted(i - 1)) return seqs[i - 1];
    return 0;
  }

  // The live doc of `seq`, or -1.
  int64_t liveDoc(int64_t seq) const {
    const size_t doc = seqs.lowerBound(seq);
    if (doc == seqs.size() || seqs[doc] != seq) return -1;
    return deleted(doc) ? -1 : static_cast<int64_t>(doc);
  }

  void markDeleted(size_t doc) {
    keys[doc] |= kDeletedBit;
    --live;
    total_length -= get(keys[doc], static_cast<uint32_t>(doc), kLength);
    const auto d = static_cast<uint32_t>(doc);
    pending_deleted.insert(std::upper_bound(pending_deleted.begin(), pending_deleted.end(), d), d);
    if (pending_deleted.size() > kCompactAfter) compact();
  }

  // Drops deleted docs from every posting list.
  void compact() {
    for (auto& p : postings) {
      p.removeIf([this](uint32_t doc) { return deleted(doc); });
      p.fit(keys.size());
    }
    pending_deleted.clear();
  }

  // Forgets the deleted docs at the end, so that new rows whose seqs SQLite
  // took again (it reuses those above the highest live one) append in order.
  void trimDeletedTail() {
    if (keys.empty() || !deleted(keys.size() - 1)) return;
    compact();
    while (!keys.empty() && deleted(keys.size() - 1)) {
      keys.pop_back();
      seqs.pop_back();
    }
  }

  // Makes room in keys for the rows with seq > `after`: all of them at
  // once (growing by doubling leaves up to half the array unused), and
  // an eighth more when catching up, so that one new row at a time does not
  // copy the array each time.
  void reserveKeys(store::Conn& c, int64_t after) {
    auto& count = c.statement("SELECT COUNT(*) FROM assets WHERE seq > ?");
    count.bind(1, after);
    count.executeStep();
    const auto rows = static_cast<size_t>(count.getColumn(0).getInt64());
    count.reset();
    if (keys.capacity() < keys.size() + rows)
      keys.reserve(keys.size() + std::max(rows, keys.size() / 8));
  }

  // Indexes the rows with seq > `after`, in seq order.
  // REQUIRES: no doc has a seq above `after` (see trimDeletedTail).
  void appendRows(store::Conn& c, int64_t after, Tokenizer& tokenizer) {
    auto& q = c.statement(
        "SELECT seq, title, tags, description, topic, type, aspect_ratio, owner_id"
        " FROM assets WHERE seq > ? ORDER BY seq");
    q.bind(1, after);
    reserveKeys(c, after);
    std::vector<std::pair<uint32_t, uint32_t>> found;  // (term, column weight) per token
    while (q.executeStep()) {
      found.clear();
      uint32_t length = 0;
      for (int col = 0; col < 4; ++col) {
        const SQLite::Column text = q.getColumn(1 + col);
        uint32_t column_length = 0;
        auto on_token = [&](std::string_view token, int tflags) {
          if ((tflags & FTS5_TOKEN_COLOCATED) == 0 || column_length == 0) ++column_length;
          found.emplace_back(termId(token.substr(0, kMaxTokenBytes)), kColumnWeights[col]);
        };
        tokenizer.tokenize(std::string_view(text.getText(), static_cast<size_t>(text.getBytes())),
                           FTS5_TOKENIZE_DOCUMENT, on_token);
        length += column_length;
      }
      const auto doc = static_cast<uint32_t>(keys.size());
      std::sort(found.begin(), found.end());
      for (size_t i = 0; i < found.size();) {
        const uint32_t term = found[i].first;
        uint64_t w = 0;
        for (; i < found.size() && found[i].first == term; ++i) w += found[i].second;
        if (w >= kHeavyWeight) {
          postings[term].append(doc, kHeavyWeight);
          heavy_weights[(uint64_t{term} << 32) | doc] =
              static_cast<uint32_t>(std::min<uint64_t>(w, std::numeric_limits<uint32_t>::max()));
        } else {
          postings[term].append(doc, static_cast<uint8_t>(w));
        }
      }
      const SQLite::Column owner = q.getColumn(7);
      const uint32_t owner_id = owner.isNull() ? 0 : owners.idOf(owner.getText());
      keys.push_back(pack(doc, length, kLength) | pack(doc, owner_id, kOwner) |
                     pack(doc, types.idOf(q.getColumn(5).getText()), kType) |
                     pack(doc, aspects.idOf(q.getColumn(6).getText()), kAspect) |
                     pack(doc, topics.idOf(q.getColumn(4).getText()), kTopic));
      seqs.push_back(q.getColumn(0).getInt64());
      ++live;
      total_length += length;
      min_length = std::min(min_length, length);
    }
    q.reset();
  }

  // Fits every vector to its size and lays out the posting lists for the
  // library's size (bitmaps for dense terms).
  void shrink() {
    for (auto& p : postings) p.fit(keys.size());
    postings.shrink_to_fit();
    keys.shrink_to_fit();
    seqs.shrinkToFit();
  }

  // Memory held, roughly (allocator overhead aside).
  size_t bytes() const {
    size_t n = (postings.capacity() - postings.size()) * sizeof(PostingList) +
               keys.capacity() * sizeof(uint64_t) + seqs.bytes() +
               (heavy_weights.size() + wide_ids.size()) * 32;
    for (const auto& p : postings) n += p.bytes();
    for (const auto& [k, v] : terms) n += sizeof(k) + k.capacity() + sizeof(v) + 2 * sizeof(void*);
    return n + types.bytes() + topics.bytes() + aspects.bytes() + owners.bytes();
  }
};

SearchIndex::SearchIndex()
    : query_tokenizer_(std::make_unique<Tokenizer>()), assets_(kCachedAssets) {}
SearchIndex::~SearchIndex() = default;

int64_t SearchIndex::size() const {
  std::shared_lock lock(mutex_);
  return data_ ? data_->live : 0;
}

size_t SearchIndex::memoryBytes() const {
  std::shared_lock lock(mutex_);
  return data_ ? data_->bytes() : 0;
}

bool SearchIndex::catchUp(store::Conn& c) {
  const int64_t seen = readVersion(c);
  if (applied_version_.load() == seen) return true;
  if (bulk_load_version_.load() == seen) return false;
  std::unique_lock update(update_mutex_, std::try_to_lock);
  // Another thread is catching up: answer from the index as it stands (it
  // misses at most the changes being applied). An index not built yet cannot.
  if (!update.owns_lock()) return applied_version_.load() >= 0;

  ReadTransaction snapshot(c);
  const int64_t version = readVersion(c);
  if (applied_version_.load() == version) return true;
  if (bulkLoadRunning(c)) {
    bulk_load_version_ = version;
    return false;
  }

  bool rebuild = !data_;
  std::vector<size_t> gone;      // docs whose rows were deleted
  std::vector<int64_t> changed;  // seqs of rows deleted or updated
  if (data_) {
    auto& q = c.statement(
        "SELECT d.seq, a.seq IS NOT NULL FROM assets_deleted d LEFT JOIN assets a ON a.seq = d.seq"
        " WHERE d.version > ?");
    q.bind(1, applied_version_.load());
    while (q.executeStep()) {
      changed.push_back(q.getColumn(0).getInt64());
      const int64_t doc = data_->liveDoc(changed.back());
      if (doc < 0) continue;  // never indexed, or already dropped
      if (q.getColumn(1).getInt() != 0)
        rebuild = true;  // updated in place (or its seq reused): rare, start over
      else
        gone.push_back(static_cast<size_t>(doc));
    }
    q.reset();
    if (!rebuild) {
      auto& count = c.statement("SELECT COUNT(*) FROM assets WHERE seq > ?");
      count.bind(1, data_->seqs.empty() ? 0 : data_->seqs.back());
      count.executeStep();
      rebuild = count.getColumn(0).getInt64() > kRebuildAfterRows;
      count.reset();
    }
  }

  Tokenizer tokenizer;
  if (rebuild) {
    const auto start = std::chrono::steady_clock::now();
    auto fresh = std::make_unique<Data>();
    fresh->appendRows(c, 0, tokenizer);
    fresh->shrink();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "library: search index of %lld assets built in %.2f s, %.0f MiB\n",
                 static_cast<long long>(fresh->live), seconds,
                 static_cast<double>(fresh->bytes()) / (1024.0 * 1024.0));
    {
      std::unique_lock lock(mutex_);
      data_.swap(fresh);
    }
    fresh.reset();  // the index replaced, if any: freed outside the lock
    releaseFreedMemory();
  } else {
    std::unique_lock lock(mutex_);
    for (size_t doc : gone) data_->markDeleted(doc);
    const int64_t newest = data_->maxLiveSeq();
    auto& more = c.statement("SELECT EXISTS (SELECT 1 FROM assets WHERE seq > ?)");
    more.bind(1, newest);
    more.executeStep();
    const bool added = more.getColumn(0).getInt() != 0;
    more.reset();
    if (added) {
      data_->trimDeletedTail();
      data_->appendRows(c, newest, tokenizer);
    }
  }
  if (rebuild)
    assets_.clear(version);
  else
    assets_.forget(changed, version);
  applied_version_ = version;
  bulk_load_version_ = -1;
  return true;
}

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

namespace {

// What the process knows about one database file's index.
struct Entry {
  std::mutex mutex;
  int64_t min_assets = kDefaultMemoryIndexMinAssets;  // Guarded by mutex
  std::shared_ptr<SearchIndex> index;                 // Guarded by mutex; set once built
  bool building = false;                              // Guarded by mutex
  int64_t not_built_at = -1;  // Guarded by mutex: the version at which building was ruled out
};

// The entry of the database file `db` reads; nullptr for a database without
// a file (":memory:"), which no other connection can share.
std::shared_ptr<Entry> entryFor(sqlite3* db) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::shared_ptr<Entry>> entries;  // Guarded by mutex
  const char* file = sqlite3_db_filename(db, "main");
  if (!file || !*file) return nullptr;
  std::lock_guard lock(mutex);
  auto& entry = entries[file];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

}  // namespace

void setMemoryIndexMinAssets(store::Conn& c, int64_t min_assets) {
  auto entry = entryFor(c.db().getHandle());
  if (!entry) return;
  std::lock_guard lock(entry->mutex);
  entry->min_assets = min_assets;
  entry->not_built_at = -1;
}

std::shared_ptr<SearchIndex> searchIndexFor(store::Conn& c) {
  sqlite3* db = c.db().getHandle();
  if (!sqlite3_get_autocommit(db)) return nullptr;  // might see writes that roll back
  auto entry = entryFor(db);
  if (!entry) return nullptr;
  std::shared_ptr<SearchIndex> index;
  int64_t min_assets = 0;
  {
    std::lock_guard lock(entry->mutex);
    if (entry->building) return nullptr;
    index = entry->index;
    min_assets = entry->min_assets;
  }
  if (index) return index->catchUp(c) ? index : nullptr;

  const int64_t version = readVersion(c);
  {
    std::lock_guard lock(entry->mutex);
    if (entry->not_built_at == version) return nullptr;
  }
  if (!atLeastAssets(c, min_assets)) {
    std::lock_guard lock(entry->mutex);
    entry->not_built_at = version;
    return nullptr;
  }
  {
    std::lock_guard lock(entry->mutex);
    if (entry->building || entry->index) return nullptr;
    entry->building = true;
  }
  std::shared_ptr<SearchIndex> fresh;
  bool built = false;
  try {
    fresh.reset(new SearchIndex());
    built = fresh->catchUp(c);
  } catch (...) {
    std::lock_guard lock(entry->mutex);
    entry->building = false;
    throw;
  }
  std::lock_guard lock(entry->mutex);
  entry->building = false;
  if (!built) {  // a bulk load is running: try again once the library changes
    entry->not_built_at = version;
    return nullptr;
  }
  entry->index = fresh;
  return fresh;
}

}  // namespace aigate::library
