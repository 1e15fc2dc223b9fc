// Search on a synthetic library: inserts N assets through the catalog as a
// bulk load (the code `aigate library import` uses for 20,000+ rows: batches
// of 5,000 per commit, one index rebuild at the end),
// then times realistic 2–3 word queries through library::search, the code
// behind GET /api/v1/search. The first search builds the in-memory index
// (library.memory_index_min_assets is at its default): it is timed on its
// own. Prints one Markdown table row.
//
// MODE "candidates" times library::candidates() instead, what library
// matching asks for every generate request: 5–10 word prompts taken from a
// random asset's title, tags and description, any term, 25 candidates, for
// an image (half of them of the asset's aspect ratio).
//
// usage: search_bench DATA_DIR [ASSETS=1000000] [QUERIES=2000] [MODE=search|candidates]
#include "core/library/catalog.h"
#include "core/library/search_index.h"
#include "core/library/text.h"
#include "core/store/store.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <cctype>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 12> kTopics = {"lifestyle", "luxury",   "nature",   "city",
                                                 "food",      "travel",   "technology", "business",
                                                 "fitness",   "fashion",  "animals",  "abstract"};
constexpr std::array<const char*, 40> kSubjects = {
    "sunset",  "mountain", "beach",   "forest",  "skyline", "coffee",  "pizza",    "laptop",
    "office",  "runner",   "dress",   "watch",   "diamond", "cat",     "dog",      "bird",
    "wave",    "river",    "bridge",  "street",  "car",     "train",   "airplane", "garden",
    "flower",  "desk",     "meeting", "chart",   "yoga",    "gym",     "sneaker",  "handbag",
    "lake",    "desert",   "snow",    "rain",    "neon",    "market",  "kitchen",  "salad"};
constexpr std::array<const char*, 30> kAdjectives = {
    "golden",  "misty",   "vibrant", "calm",    "modern",  "vintage", "minimal", "bright",
    "dark",    "warm",    "cool",    "colorful", "quiet",  "busy",    "elegant", "rustic",
    "aerial",  "close",   "wide",    "soft",    "dramatic", "sunny",  "snowy",   "urban",
    "tropical", "cozy",   "luxury",  "fresh",   "night",   "morning"};
constexpr std::array<const char*, 6> kRatios = {"1:1", "16:9", "9:16", "4:5", "3:2", "21:9"};

template <typename A>
const char* pick(std::mt19937_64& rng, const A& options) {
  return options[rng() % options.size()];
}

// A vocabulary shaped like real captions: the 70 everyday words above are the
// most frequent, followed by 6,000 rarer made-up words. Words are drawn by a
// Zipf-Mandelbrot law, p(rank) ∝ 1 / (rank + 50): the +50 stands for the stop
// words ("the", "of"…) that head real word lists and that search drops, so
// the most common content word is in about 8 % of assets.
class Vocabulary {
 public:
  explicit Vocabulary(std::mt19937_64& rng) {
    for (const char* w : kAdjectives) words_.push_back(w);
    for (const char* w : kSubjects) words_.push_back(w);
    static constexpr const char* kSyllables[] = {"ka", "lo", "mi", "ra", "ten", "sol", "vi", "nor",
                                                 "bel", "dri", "fu", "gan", "hol", "jun", "pe", "ster"};
    while (words_.size() < 6070) {
      std::string w;
      for (int i = 0; i < 3; ++i) w += kSyllables[rng() % 16];
      words_.push_back(w);
    }
    double sum = 0;
    for (size_t i = 0; i < words_.size(); ++i) cumulative_.push_back(sum += 1.0 / double(i + 51));
  }
  const std::string& draw(std::mt19937_64& rng) const {
    const double x = std::uniform_real_distribution<double>(0, cumulative_.back())(rng);
    return words_[std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin()];
  }

 private:
  std::vector<std::string> words_;
  std::vector<double> cumulative_;
};

aigate::library::Asset makeAsset(std::mt19937_64& rng, const Vocabulary& words, uint64_t n) {
  aigate::library::Asset a;
  a.topic = pick(rng, kTopics);
  a.type = rng() % 10 == 0 ? "video" : "image";
  a.title = words.draw(rng) + " " + words.draw(rng) + " " + words.draw(rng) + " with " +
            words.draw(rng);
  a.description = "A " + a.topic + " scene:";
  for (int i = 0; i < 10; ++i) a.description += " " + words.draw(rng);
  for (int i = 0; i < 4; ++i) a.tags.push_back(words.draw(rng));
  a.tags.push_back(a.topic);
  a.aspect_ratio = pick(rng, kRatios);
  a.width = 1024;
  a.height = 1024;
  char sha[65];
  std::snprintf(sha, sizeof sha, "%064llx", static_cast<unsigned long long>(n));
  a.sha256 = sha;
  a.file = a.sha256.substr(0, 2) + "/" + a.sha256 + ".png";
  a.mime = "image/png";
  a.bytes = 1000;
  return a;
}

long rssKiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

// The words of `text` (letters and digits) but `skip`.
void addWords(std::string text, const std::vector<std::string>& skip,
              std::vector<std::string>& out) {
  for (auto& ch : text)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = ' ';
  std::istringstream in(text);
  for (std::string w; in >> w;)
    if (std::find(skip.begin(), skip.end(), w) == skip.end()) out.push_back(w);
}

// Times candidates() on `queries` prompts (after 100 that warm the caches):
// one Markdown table row.
void benchCandidates(aigate::store::Conn& reader, std::mt19937_64& rng, uint64_t assets,
                     int queries, bool in_memory) {
  std::vector<double> ms;
  int64_t found = 0;
  for (int i = 0; i < queries + 100; ++i) {
    const int64_t seq = 1 + static_cast<int64_t>(rng() % assets);
    auto& pick_doc =
        reader.statement("SELECT title, tags, description, aspect_ratio FROM assets WHERE seq = ?");
    pick_doc.bind(1, seq);
    std::vector<std::string> doc_words;
    aigate::library::SearchQuery filters;
    filters.type = "image";
    if (pick_doc.executeStep()) {
      // The words every asset has ("with", "A … scene:") are no prompt's.
      const std::vector<std::string> skip = {"with", "A", "scene"};
      for (int col = 0; col < 3; ++col)
        addWords(pick_doc.getColumn(col).getString(), skip, doc_words);
      if (i % 2 == 0) filters.aspect_ratio = pick_doc.getColumn(3).getString();
    }
    pick_doc.reset();
    std::shuffle(doc_words.begin(), doc_words.end(), rng);
    std::string prompt;
    const size_t n_words = std::min<size_t>(doc_words.size(), 5 + i % 6);
    for (size_t w = 0; w < n_words; ++w) prompt += (w ? " " : "") + doc_words[w];
    const auto start = Clock::now();
    const auto terms = aigate::library::queryTerms(prompt);
    const auto result = aigate::library::candidates(reader, terms, filters, 25);
    const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i >= 100) {
      ms.push_back(elapsed);
      found += static_cast<int64_t>(result.size());
    }
  }
  std::printf("| %llu | %s | %d | %.3f | %.3f | %.3f | %.1f |\n",
              static_cast<unsigned long long>(assets), in_memory ? "memory" : "FTS5", queries,
              percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0),
              static_cast<double>(found) / queries);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 4 ? argv[4] : "search";
  if (argc < 2 || (mode != "search" && mode != "candidates")) {
    std::fprintf(stderr, "usage: search_bench DATA_DIR [ASSETS] [QUERIES] [search|candidates]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const uint64_t assets = argc > 2 ? std::stoull(argv[2]) : 1'000'000;
  const int queries = argc > 3 ? std::stoi(argv[3]) : 2000;
  std::filesystem::create_directories(dir);
  aigate::store::StoreOptions options;
  options.path = dir + "/aigate.db";
  options.synchronous_full = true;
  aigate::store::Store store(options);

  auto& reader = store.reader();
  std::mt19937_64 rng(42);
  const Vocabulary words(rng);
  const uint64_t existing =
      store.reader().db().execAndGet("SELECT COUNT(*) FROM assets").getInt64();
  const auto import_start = Clock::now();
  if (existing < assets)
    (void)store.writeSync([](aigate::store::Conn& c) {
      aigate::library::beginBulkLoad(c);
      return aigate::Status::Ok();
    });
  for (uint64_t n = existing; n < assets;) {
    std::vector<aigate::library::Asset> batch;
    for (int i = 0; i < 5000 && n < assets; ++i, ++n) batch.push_back(makeAsset(rng, words, n));
    aigate::Status s = store.writeSync([&](aigate::store::Conn& c) {
      for (auto& a : batch) aigate::library::insertAsset(c, std::move(a));
      return aigate::Status::Ok();
    });
    if (!s.ok()) {
      std::fprintf(stderr, "insert failed: %s\n", s.error().message().c_str());
      return 1;
    }
    if (n % 100'000 == 0) std::fprintf(stderr, "\rinserted %llu", static_cast<unsigned long long>(n));
  }
  if (existing < assets)
    (void)store.writeSync([](aigate::store::Conn& c) {
      aigate::library::endBulkLoad(c);
      return aigate::Status::Ok();
    });
  const double import_s = std::chrono::duration<double>(Clock::now() - import_start).count();
  std::fprintf(stderr, "\n");

  const auto build_start = Clock::now();
  const auto index = aigate::library::searchIndexFor(reader);
  const bool in_memory = index != nullptr;
  const double build_s = std::chrono::duration<double>(Clock::now() - build_start).count();
  if (mode == "candidates") {
    benchCandidates(reader, rng, assets, queries, in_memory);
    return 0;
  }

  std::vector<double> ms;
  int64_t found = 0;
  for (int i = 0; i < queries + 100; ++i) {
    // What people search for: two or three words of something in the library
    // (a random asset's title and tags), now and then filtered by type.
    aigate::library::SearchQuery q;
    const int64_t seq = 1 + static_cast<int64_t>(rng() % assets);
    auto& pick_doc = reader.statement("SELECT title, tags FROM assets WHERE seq = ?");
    pick_doc.bind(1, seq);
    std::vector<std::string> doc_words;
    if (pick_doc.executeStep())
      addWords(pick_doc.getColumn(0).getString() + " " + pick_doc.getColumn(1).getString(),
               {"with"}, doc_words);
    pick_doc.reset();
    std::shuffle(doc_words.begin(), doc_words.end(), rng);
    const size_t n_words = std::min<size_t>(doc_words.size(), 2 + i % 2);
    for (size_t w = 0; w < n_words; ++w) q.text += (w ? " " : "") + doc_words[w];
    if (i % 4 == 0) q.type = "image";
    const auto start = Clock::now();
    const auto result = aigate::library::search(reader, q);
    const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (i >= 100) {  // the first 100 warm the page cache
      ms.push_back(elapsed);
      found += result.total;
    }
  }
  std::printf("| %llu | %s | %.1f | %s | %.1f | %.3f | %.3f | %.3f | %lld | %.0f | %ld |\n",
              static_cast<unsigned long long>(assets),
              existing >= assets ? "(existing)" : "bulk load",
              existing >= assets ? 0.0 : import_s, in_memory ? "memory" : "FTS5", build_s,
              percentile(ms, 0.5), percentile(ms, 0.99),
              percentile(ms, 1.0), static_cast<long long>(found / queries),
              in_memory ? static_cast<double>(index->memoryBytes()) / (1024.0 * 1024.0) : 0.0,
              rssKiB() / 1024);
  return 0;
}
