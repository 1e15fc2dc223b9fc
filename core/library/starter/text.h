#pragma once

#include <string>
#include <vector>

namespace aigate::starter {

// English number word for 0..20, digits otherwise.
std::string numberWord(int n);
// "one bird" / "three birds"; `pluralForm` defaults to singular + "s".
std::string countOf(int n, const std::string& singular, const std::string& pluralForm = "");
// "a", "a and b", "a, b and c".
std::string joinList(const std::vector<std::string>& items);
std::string capitalized(std::string text);
// Prefixes "a " or "an " by the first letter of `phrase`.
std::string withArticle(const std::string& phrase);

}  // namespace aigate::starter
