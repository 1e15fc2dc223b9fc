#include "core/library/matcher.h"

#include <algorithm>

#include "core/library/catalog.h"
#include "core/library/text.h"

namespace aigate::library {
namespace {

constexpr int kCandidates = 25;
constexpr double kDescriptionWeight = 0.6;

// matchScore() with the prompt's terms stemmed once, for every candidate.
double scoreStems(const std::vector<std::string>& prompt_stems, const AssetStems& asset) {
  double covered = 0;
  for (const auto& s : prompt_stems) {
    if (std::binary_search(asset.strong.begin(), asset.strong.end(), s))
      covered += 1;
    else if (std::binary_search(asset.weak.begin(), asset.weak.end(), s))
      covered += kDescriptionWeight;
  }
  return std::clamp(covered / static_cast<double>(prompt_stems.size()), 0.0, 1.0);
}

std::vector<std::string> stemAll(const std::vector<std::string>& terms) {
  std::vector<std::string> stems;
  stems.reserve(terms.size());
  for (const auto& term : terms) stems.push_back(stem(term));
  return stems;
}

}  // namespace

double matchScore(const std::vector<std::string>& prompt_terms, const Asset& asset) {
  if (prompt_terms.empty()) return 0;
  return scoreStems(stemAll(prompt_terms), AssetRow(asset).stems());
}

std::optional<Match> bestMatch(store::Conn& c, const MatchRequest& request) {
  auto ranked = rankedMatches(c, request, 1);
  if (ranked.empty()) return std::nullopt;
  return std::move(ranked.front());
}

std::vector<Match> rankedMatches(store::Conn& c, const MatchRequest& request, size_t limit) {
  const auto terms = queryTerms(request.prompt);
  std::vector<Match> ranked;
  if (terms.empty()) return ranked;
  SearchQuery filters;
  filters.type = request.type;
  filters.aspect_ratio = request.aspect_ratio;
  filters.topic = request.topic;
  filters.viewer = request.viewer;
  const auto stems = stemAll(terms);
  for (auto& row : candidates(c, terms, filters, kCandidates)) {
    const double score = scoreStems(stems, row->stems());
    ranked.push_back(Match{std::shared_ptr<const Asset>(row, &row->asset()), score});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Match& a, const Match& b) { return a.score > b.score; });
  if (ranked.size() > limit) ranked.resize(limit);
  return ranked;
}

}  // namespace aigate::library
