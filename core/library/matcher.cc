#include "core/library/matcher.h"

#include "core/library/catalog.h"
#include "core/library/text.h"

#include <algorithm>
#include <unordered_set>

namespace aigate::library {
namespace {

constexpr int kCandidates = 25;
constexpr double kDescriptionWeight = 0.6;

// The words of one asset text that count (queryTerms' limit).
constexpr size_t kMaxAssetTerms = 512;

void addStems(std::string_view text, std::unordered_set<std::string>& out) {
  for (const auto& term : queryTerms(text, kMaxAssetTerms)) out.insert(stem(term));
}

// matchScore() by building the asset's stem sets whole: for the rare asset
// with a text longer than kMaxAssetTerms words.
double matchScoreBySets(const std::vector<std::string>& prompt_terms, const Asset& asset) {
  std::unordered_set<std::string> strong;
  std::unordered_set<std::string> weak;
  addStems(asset.title, strong);
  addStems(asset.topic, strong);
  for (const auto& tag : asset.tags) addStems(tag, strong);
  addStems(asset.description, weak);
  double covered = 0;
  for (const auto& term : prompt_terms) {
    const std::string s = stem(term);
    if (strong.count(s))
      covered += 1;
    else if (weak.count(s))
      covered += kDescriptionWeight;
  }
  return std::clamp(covered / static_cast<double>(prompt_terms.size()), 0.0, 1.0);
}

}  // namespace

double matchScore(const std::vector<std::string>& prompt_terms, const Asset& asset) {
  if (prompt_terms.empty()) return 0;
  // Looks the prompt's few stems up in the asset's words: no sets of every
  // word of every candidate, and a word is stemmed only when it may match.
  const size_t n = prompt_terms.size();
  std::vector<std::string> stems;
  stems.reserve(n);
  for (const auto& term : prompt_terms) stems.push_back(stem(term));
  std::vector<char> strong(n, 0);
  std::vector<char> weak(n, 0);
  bool decided = findStems(asset.title, stems, strong, kMaxAssetTerms) &&
                 findStems(asset.topic, stems, strong, kMaxAssetTerms);
  for (size_t t = 0; decided && t < asset.tags.size(); ++t)
    decided = findStems(asset.tags[t], stems, strong, kMaxAssetTerms);
  decided = decided && findStems(asset.description, stems, weak, kMaxAssetTerms);
  if (!decided) return matchScoreBySets(prompt_terms, asset);
  double covered = 0;
  for (size_t k = 0; k < n; ++k) covered += strong[k] ? 1 : weak[k] ? kDescriptionWeight : 0;
  return std::clamp(covered / static_cast<double>(n), 0.0, 1.0);
}

std::optional<Match> bestMatch(store::Conn& c, const MatchRequest& request) {
  auto ranked = rankedMatches(c, request, 1);
  if (ranked.empty()) return std::nullopt;
  return std::move(ranked.front());
}

std::vector<Match> rankedMatches(store::Conn& c, const MatchRequest& request, size_t limit) {
  const auto terms = queryTerms(request.prompt);
  SearchQuery filters;
  filters.type = request.type;
  filters.aspect_ratio = request.aspect_ratio;
  filters.topic = request.topic;
  filters.viewer = request.viewer;
  std::vector<Match> ranked;
  for (auto& asset : candidates(c, terms, filters, kCandidates)) {
    const double score = matchScore(terms, asset);
    ranked.push_back(Match{std::move(asset), score});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Match& a, const Match& b) { return a.score > b.score; });
  if (ranked.size() > limit) ranked.resize(limit);
  return ranked;
}

}  // namespace aigate::library
