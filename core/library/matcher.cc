#include "core/library/matcher.h"

#include "core/library/catalog.h"
#include "core/library/text.h"

#include <algorithm>
#include <unordered_set>

namespace aigate::library {
namespace {

constexpr int kCandidates = 25;
constexpr double kDescriptionWeight = 0.6;

void addStems(std::string_view text, std::unordered_set<std::string>& out) {
  for (const auto& term : queryTerms(text, 512)) out.insert(stem(term));
}

}  // namespace

double matchScore(const std::vector<std::string>& prompt_terms, const Asset& asset) {
  if (prompt_terms.empty()) return 0;
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
