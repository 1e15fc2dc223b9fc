#include "core/library/text.h"

#include <algorithm>
#include <array>

namespace aigate::library {
namespace {

constexpr std::array<std::string_view, 48> kStopWords = {
    "a",     "an",    "and",   "are",  "as",   "at",    "be",   "by",    "for",  "from",
    "in",    "into",  "is",    "it",   "its",  "of",    "on",   "or",    "that", "the",
    "this",  "to",    "with",  "very", "some", "image", "photo", "picture", "video", "clip",
    "show",  "showing", "make", "create", "generate", "me",  "my",  "please", "featuring",
    "high",  "quality", "style", "shot",  "view", "scene", "over", "under", "near"};

bool isStopWord(std::string_view w) {
  return std::find(kStopWords.begin(), kStopWords.end(), w) != kStopWords.end();
}

bool isWordByte(unsigned char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
         ch >= 0x80;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::vector<std::string> queryTerms(std::string_view text, size_t max_terms) {
  std::vector<std::string> terms;
  size_t i = 0;
  while (i < text.size() && terms.size() < max_terms) {
    while (i < text.size() && !isWordByte(static_cast<unsigned char>(text[i]))) ++i;
    std::string word;
    while (i < text.size() && isWordByte(static_cast<unsigned char>(text[i]))) {
      char ch = text[i++];
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      if (word.size() < 64) word.push_back(ch);
    }
    if (word.empty() || isStopWord(word)) continue;
    if (std::find(terms.begin(), terms.end(), word) == terms.end()) terms.push_back(word);
  }
  return terms;
}

std::string stem(std::string_view word) {
  std::string w(word);
  if (endsWith(w, "'s")) w.resize(w.size() - 2);
  if (w.size() > 4 && endsWith(w, "ies")) return w.substr(0, w.size() - 3) + "y";
  if (w.size() > 4 && endsWith(w, "sses")) return w.substr(0, w.size() - 2);
  if (w.size() > 4 && (endsWith(w, "ches") || endsWith(w, "shes") || endsWith(w, "xes")))
    return w.substr(0, w.size() - 2);
  if (w.size() > 3 && endsWith(w, "s") && !endsWith(w, "ss") && !endsWith(w, "us"))
    return w.substr(0, w.size() - 1);
  if (w.size() > 5 && endsWith(w, "ing")) return w.substr(0, w.size() - 3);
  if (w.size() > 4 && endsWith(w, "ed")) return w.substr(0, w.size() - 2);
  return w;
}

std::string ftsQuery(const std::vector<std::string>& terms, bool all_terms) {
  std::string q;
  for (const auto& t : terms) {
    if (!q.empty()) q += all_terms ? " AND " : " OR ";
    q += '"';
    for (char ch : t) {
      if (ch == '"') q += '"';  // never produced by queryTerms, but keep quoting sound
      q += ch;
    }
    q += '"';
  }
  return q;
}

}  // namespace aigate::library
