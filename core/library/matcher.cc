#include "core/library/matcher.h"

#include "core/library/catalog.h"
#include "core/library/text.h"

#include <algorithm>

namespace aigate::library {
namespace {

constexpr int kCandidates = 25;
constexpr double kDescriptionWeight = 0.6;

// The share of `prompt` (stem ids; nullopt for a stem no row has) that
// `asset` covers.
double scoreStems(const std::vector<std::optional<StemId>>& prompt, const AssetStems& asset) {
  double covered = 0;
  for (const auto& id : prompt) {
    if (!id) continue;
    if (std::binary_search(asset.strong.begin(), asset.strong.end(), *id))
      covered += 1;
    else if (std::binary_search(asset.weak.begin(), asset.weak.end(), *id))
      covered += kDescriptionWeight;
  }
  return std::clamp(covered / static_cast<double>(prompt.size()), 0.0, 1.0);
}

// The stem ids of the prompt's terms. After the rows to compare with have
// worked out their stems: a stem they have is in the dictionary then.
std::vector<std::optional<StemId>> promptStems(const std::vector<std::string>& terms) {
  std::vector<std::optional<StemId>> ids;
  ids.reserve(terms.size());
  for (const auto& term : terms) ids.push_back(findStem(stem(term)));
  return ids;
}

}  // namespace

double matchScore(const std::vector<std::string>& prompt_terms, const Asset& asset) {
  if (prompt_terms.empty()) return 0;
  const AssetRow row(asset);
  const AssetStems& stems = row.stems();
  return scoreStems(promptStems(prompt_terms), stems);
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
  auto rows = candidates(c, terms, filters, kCandidates);
  for (const auto& row : rows) row->stems();
  const auto prompt = promptStems(terms);
  for (auto& row : rows) {
    const double score = scoreStems(prompt, row->stems());
    ranked.push_back(Match{std::shared_ptr<const Asset>(row, &row->asset()), score});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Match& a, const Match& b) { return a.score > b.score; });
  if (ranked.size() > limit) ranked.resize(limit);
  return ranked;
}

}  // namespace aigate::library
