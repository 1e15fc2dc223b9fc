#include "core/library/asset_cache.h"

#include "core/library/text.h"

#include <algorithm>
#include <cassert>
#include <shared_mutex>
#include <unordered_map>
#include <utility>

namespace aigate::library {
namespace {

// The words of one asset text that count (queryTerms' limit).
constexpr size_t kMaxAssetTerms = 512;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Every stem of the rows matched so far. It grows with the vocabulary of
// the library's text, as the search index's term table does, and not with
// the prompts matched (they are only looked up).
class StemDictionary {
 public:
  std::optional<StemId> find(std::string_view stem) const {
    std::shared_lock lock(mutex_);
    auto it = ids_.find(stem);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }

  // The ids of `stems`, added when new: sorted and distinct.
  std::vector<StemId> idsOf(const std::vector<std::string>& stems) {
    std::vector<StemId> out;
    out.reserve(stems.size());
    std::vector<const std::string*> unknown;
    {
      std::shared_lock lock(mutex_);
      for (const auto& s : stems) {
        auto it = ids_.find(s);
        if (it != ids_.end())
          out.push_back(it->second);
        else
          unknown.push_back(&s);
      }
    }
    if (!unknown.empty()) {
      std::unique_lock lock(mutex_);
      for (const auto* s : unknown)
        out.push_back(ids_.try_emplace(*s, static_cast<StemId>(ids_.size())).first->second);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

 private:
  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, StemId, StringHash, std::equal_to<>> ids_;  // Guarded by mutex_
};

StemDictionary& dictionary() {
  static StemDictionary* d = new StemDictionary();  // never destroyed: rows may outlive statics
  return *d;
}

void addStems(std::string_view text, std::vector<std::string>& out) {
  for (const auto& term : queryTerms(text, kMaxAssetTerms)) out.push_back(stem(term));
}

}  // namespace

std::optional<StemId> findStem(std::string_view stem) { return dictionary().find(stem); }

const AssetStems& AssetRow::stems() const {
  std::call_once(stems_once_, [this] {
    std::vector<std::string> strong;
    std::vector<std::string> weak;
    addStems(asset_.title, strong);
    addStems(asset_.topic, strong);
    for (const auto& tag : asset_.tags) addStems(tag, strong);
    addStems(asset_.description, weak);
    stems_.strong = dictionary().idsOf(strong);
    stems_.weak = dictionary().idsOf(weak);
  });
  return stems_;
}

AssetCache::AssetCache(size_t slots) : slots_(slots) {
  assert(slots > 0 && (slots & (slots - 1)) == 0);
}

std::shared_ptr<const AssetRow> AssetCache::find(int64_t seq) const {
  std::lock_guard lock(mutex_);
  const Slot& slot = slots_[static_cast<size_t>(seq) & (slots_.size() - 1)];
  return slot.seq == seq ? slot.asset : nullptr;
}

void AssetCache::offer(int64_t seq, std::shared_ptr<const AssetRow> asset, int64_t read_version) {
  std::shared_ptr<const AssetRow> replaced;  // freed outside the lock
  std::lock_guard lock(mutex_);
  if (read_version < valid_from_) return;
  Slot& slot = slots_[static_cast<size_t>(seq) & (slots_.size() - 1)];
  slot.seq = seq;
  replaced = std::exchange(slot.asset, std::move(asset));
}

void AssetCache::forget(const std::vector<int64_t>& seqs, int64_t version) {
  std::vector<std::shared_ptr<const AssetRow>> dropped;  // freed outside the lock
  std::lock_guard lock(mutex_);
  for (int64_t seq : seqs) {
    Slot& slot = slots_[static_cast<size_t>(seq) & (slots_.size() - 1)];
    if (slot.seq != seq) continue;
    slot.seq = -1;
    dropped.push_back(std::move(slot.asset));
  }
  valid_from_ = version;
}

void AssetCache::clear(int64_t version) {
  std::vector<Slot> dropped(slots_.size());  // freed outside the lock
  std::lock_guard lock(mutex_);
  slots_.swap(dropped);
  valid_from_ = version;
}

size_t AssetCache::size() const {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const auto& slot : slots_) n += slot.seq >= 0;
  return n;
}

}  // namespace aigate::library
