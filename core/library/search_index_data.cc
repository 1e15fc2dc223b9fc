// Building and maintaining the search index's data (search_index_data.h):
// FTS5's tokenizer, indexing new rows, marking deleted docs and compacting
// the posting lists, and the memory the data holds. The caller (catchUp in
// search_index.cc) serializes every change.
#include "core/library/search_index_data.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace aigate::library {
namespace {

// The weights search() ranks with: bm25(assets_fts, 10.0, 6.0, 2.0, 3.0) over
// the columns title, tags, description, topic.
constexpr uint32_t kColumnWeights[4] = {10, 6, 2, 3};
// Deleted assets stay in the posting lists (flagged) until this many pile up.
constexpr size_t kCompactAfter = 1024;

std::string dbError(sqlite3* db, const char* what) {
  return std::string("search index: ") + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

SearchIndex::Tokenizer::Tokenizer() {
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
SearchIndex::Tokenizer::~Tokenizer() {
  methods_.xDelete(tokenizer_);
  sqlite3_close(db_);
}

uint64_t SearchIndex::Data::pack(uint32_t doc, uint32_t value, Field field) {
  if (value < field.max) return uint64_t{value} << field.shift;
  wide_ids[(uint64_t(field.shift) << 32) | doc] = value;
  return field.max << field.shift;
}

uint32_t SearchIndex::Data::termId(std::string_view token) {
  auto it = terms.find(token);
  if (it != terms.end()) return it->second;
  const auto id = static_cast<uint32_t>(postings.size());
  terms.emplace(std::string(token), id);
  postings.emplace_back();
  return id;
}

int64_t SearchIndex::Data::maxLiveSeq() const {
  for (size_t i = keys.size(); i > 0; --i)
    if (!deleted(i - 1)) return seqs[i - 1];
  return 0;
}

int64_t SearchIndex::Data::liveDoc(int64_t seq) const {
  const size_t doc = seqs.lowerBound(seq);
  if (doc == seqs.size() || seqs[doc] != seq) return -1;
  return deleted(doc) ? -1 : static_cast<int64_t>(doc);
}

void SearchIndex::Data::markDeleted(size_t doc) {
  keys[doc] |= kDeletedBit;
  --live;
  total_length -= get(keys[doc], static_cast<uint32_t>(doc), kLength);
  const auto d = static_cast<uint32_t>(doc);
  pending_deleted.insert(std::upper_bound(pending_deleted.begin(), pending_deleted.end(), d), d);
  if (pending_deleted.size() > kCompactAfter) compact();
}

void SearchIndex::Data::compact() {
  for (auto& p : postings) {
    p.removeIf([this](uint32_t doc) { return deleted(doc); });
    p.fit(keys.size());
  }
  pending_deleted.clear();
}

void SearchIndex::Data::trimDeletedTail() {
  if (keys.empty() || !deleted(keys.size() - 1)) return;
  compact();
  while (!keys.empty() && deleted(keys.size() - 1)) {
    keys.pop_back();
    seqs.pop_back();
  }
}

void SearchIndex::Data::reserveKeys(store::Conn& c, int64_t after) {
  auto& count = c.statement("SELECT COUNT(*) FROM assets WHERE seq > ?");
  count.bind(1, after);
  count.executeStep();
  const auto rows = static_cast<size_t>(count.getColumn(0).getInt64());
  count.reset();
  if (keys.capacity() < keys.size() + rows)
    keys.reserve(keys.size() + std::max(rows, keys.size() / 8));
}

void SearchIndex::Data::appendRows(store::Conn& c, int64_t after, Tokenizer& tokenizer) {
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

void SearchIndex::Data::shrink() {
  for (auto& p : postings) p.fit(keys.size());
  postings.shrink_to_fit();
  keys.shrink_to_fit();
  seqs.shrinkToFit();
}

size_t SearchIndex::Data::bytes() const {
  size_t n = (postings.capacity() - postings.size()) * sizeof(PostingList) +
             keys.capacity() * sizeof(uint64_t) + seqs.bytes() +
             (heavy_weights.size() + wide_ids.size()) * 32;
  for (const auto& p : postings) n += p.bytes();
  for (const auto& [k, v] : terms) n += sizeof(k) + k.capacity() + sizeof(v) + 2 * sizeof(void*);
  return n + types.bytes() + topics.bytes() + aspects.bytes() + owners.bytes();
}

}  // namespace aigate::library
