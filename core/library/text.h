// Turning user text (search queries, prompts) into safe full-text queries
// and comparable terms. Any input is safe: FTS5 syntax in it is never used
// as syntax.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace aigate::library {

// Lowercased words of `text` (letters and digits; non-ASCII bytes are kept
// inside words), without English stop words and duplicates, at most
// `max_terms` of them.
std::vector<std::string> queryTerms(std::string_view text, size_t max_terms = 32);

// A light English stemmer ("mountains" → "mountain", "glowing" → "glow") used
// to compare prompt terms with asset text.
std::string stem(std::string_view word);

// An FTS5 MATCH expression of quoted terms joined by AND or OR. Empty when
// there are no terms.
std::string ftsQuery(const std::vector<std::string>& terms, bool all_terms);

}  // namespace aigate::library
