#include "core/library/asset_cache.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "core/library/text.h"

namespace aigate::library {
namespace {

// The words of one asset text that count (queryTerms' limit).
constexpr size_t kMaxAssetTerms = 512;

void addStems(std::string_view text, std::vector<std::string>& out) {
  for (const auto& term : queryTerms(text, kMaxAssetTerms)) out.push_back(stem(term));
}

void sortDistinct(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

const AssetStems& AssetRow::stems() const {
  std::call_once(stems_once_, [this] {
    addStems(asset_.title, stems_.strong);
    addStems(asset_.topic, stems_.strong);
    for (const auto& tag : asset_.tags) addStems(tag, stems_.strong);
    addStems(asset_.description, stems_.weak);
    sortDistinct(stems_.strong);
    sortDistinct(stems_.weak);
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
