#include "text.h"

#include <array>

namespace aigate::starter {

std::string numberWord(int n) {
  static const std::array<const char*, 21> kWords = {
      "zero",     "one",     "two",     "three",     "four",     "five",     "six",
      "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",   "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"};
  if (n >= 0 && n <= 20) return kWords[static_cast<std::size_t>(n)];
  return std::to_string(n);
}

std::string countOf(int n, const std::string& singular, const std::string& pluralForm) {
  if (n == 1) return "one " + singular;
  return numberWord(n) + " " + (pluralForm.empty() ? singular + "s" : pluralForm);
}

std::string joinList(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += (i + 1 == items.size()) ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string capitalized(std::string text) {
  if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 32);
  return text;
}

std::string withArticle(const std::string& phrase) {
  if (phrase.empty()) return phrase;
  const char c = phrase[0];
  const bool vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
  return (vowel ? "an " : "a ") + phrase;
}

}  // namespace aigate::starter
