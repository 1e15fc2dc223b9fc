// Library-first matching: how well the library can answer a prompt.
#pragma once

#include "core/library/asset.h"
#include "core/store/store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace aigate::library {

struct MatchRequest {
  std::string prompt;
  std::string type;          // "image" | "video": only this type can match
  std::string aspect_ratio;  // only this ratio can match
  std::optional<std::string> topic;   // narrows to this topic when set
  std::optional<std::string> viewer;  // the caller's own assets count too
};

struct Match {
  std::shared_ptr<const Asset> asset;  // never null
  double score = 0;  // in [0, 1]
};

// The share of the prompt's terms an asset covers: a term found in the
// title, tags or topic counts 1, one found only in the description 0.6.
// Terms are compared stemmed. 0 for a prompt with no terms.
double matchScore(const std::vector<std::string>& prompt_terms, const Asset& asset);

// The best-scoring asset among the full-text candidates for the prompt, or
// nullopt when none shares a term with it.
std::optional<Match> bestMatch(store::Conn& c, const MatchRequest& request);

// Up to `limit` distinct candidates for the prompt, best first (equal scores
// keep the full-text ranking); the first is bestMatch().
std::vector<Match> rankedMatches(store::Conn& c, const MatchRequest& request, size_t limit);

}  // namespace aigate::library
