#include "core/library/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace aigate::library {
namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::vector<std::string> splitTags(const std::string& text) {
  std::vector<std::string> tags;
  std::string current;
  auto flush = [&] {
    std::string t = trim(current);
    if (!t.empty() && std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
    current.clear();
  };
  for (char ch : text) {
    if (ch == ',' || ch == ';' || ch == '|')
      flush();
    else
      current += ch;
  }
  flush();
  return tags;
}

// Checks the fields every row needs; returns the problem or "".
std::string rowProblem(const ManifestRow& row) {
  if (row.file.empty()) return "file is required";
  if (row.title.empty()) return "title is required";
  if (row.title.size() > 500) return "title is longer than 500 bytes";
  if (row.description.size() > 5000) return "description is longer than 5000 bytes";
  return {};
}

void addRow(Manifest& m, ManifestRow row) {
  row.topic = lower(trim(row.topic));
  if (auto problem = rowProblem(row); !problem.empty())
    m.problems.push_back({row.line, problem});
  else
    m.rows.push_back(std::move(row));
}

// Splits CSV text into records of fields; `lines` gets each record's first line.
std::vector<std::vector<std::string>> csvRecords(const std::string& text, std::vector<int>& lines) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool any = false;
  int line = 1;
  int record_line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (quoted) {
      if (ch == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        if (ch == '\n') ++line;
        field += ch;
      }
      continue;
    }
    if (ch == '"') {
      quoted = true;
      any = true;
    } else if (ch == ',') {
      record.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (ch == '\n' || ch == '\r') {
      if (ch == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        record.push_back(std::move(field));
        records.push_back(std::move(record));
        lines.push_back(record_line);
      }
      record.clear();
      field.clear();
      any = false;
      record_line = ++line;
    } else {
      field += ch;
      any = true;
    }
  }
  if (any || !field.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
    lines.push_back(record_line);
  }
  return records;
}

}  // namespace

Manifest parseJsonl(const std::string& text) {
  Manifest m;
  size_t start = 0;
  int line = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    ++line;
    const std::string raw = trim(text.substr(start, end - start));
    start = end + 1;
    if (raw.empty()) continue;
    auto j = nlohmann::json::parse(raw, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      m.problems.push_back({line, "not a JSON object"});
      continue;
    }
    ManifestRow row;
    row.line = line;
    std::string problem;
    auto text_field = [&](const char* name, std::string& out) {
      auto it = j.find(name);
      if (it == j.end() || it->is_null()) return;
      if (!it->is_string()) {
        if (problem.empty()) problem = std::string(name) + " must be a string";
        return;
      }
      out = trim(it->get<std::string>());
    };
    text_field("file", row.file);
    text_field("title", row.title);
    text_field("description", row.description);
    text_field("topic", row.topic);
    if (auto tags = j.find("tags"); tags != j.end() && !tags->is_null()) {
      if (tags->is_string()) {
        row.tags = splitTags(tags->get<std::string>());
      } else if (tags->is_array() &&
                 std::all_of(tags->begin(), tags->end(), [](const auto& t) { return t.is_string(); })) {
        for (const auto& t : *tags) {
          std::string tag = trim(t.get<std::string>());
          if (!tag.empty() && std::find(row.tags.begin(), row.tags.end(), tag) == row.tags.end())
            row.tags.push_back(tag);
        }
      } else if (problem.empty()) {
        problem = "tags must be a list of strings or a comma-separated string";
      }
    }
    if (!problem.empty()) {
      m.problems.push_back({line, problem});
      continue;
    }
    addRow(m, std::move(row));
  }
  return m;
}

Manifest parseCsv(const std::string& text) {
  Manifest m;
  std::vector<int> lines;
  auto records = csvRecords(text, lines);
  if (records.empty()) return m;
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < records[0].size(); ++i) column[lower(trim(records[0][i]))] = i;
  if (!column.count("file") || !column.count("title")) {
    m.problems.push_back({lines[0], "the header must name at least the columns file and title"});
    return m;
  }
  for (size_t r = 1; r < records.size(); ++r) {
    const auto& rec = records[r];
    auto get = [&](const char* name) -> std::string {
      auto it = column.find(name);
      return it != column.end() && it->second < rec.size() ? trim(rec[it->second]) : std::string();
    };
    if (rec.size() != records[0].size()) {
      m.problems.push_back({lines[r], "has " + std::to_string(rec.size()) + " fields; the header has " +
                                          std::to_string(records[0].size())});
      continue;
    }
    ManifestRow row;
    row.line = lines[r];
    row.file = get("file");
    row.title = get("title");
    row.description = get("description");
    row.topic = get("topic");
    row.tags = splitTags(get("tags"));
    addRow(m, std::move(row));
  }
  return m;
}

}  // namespace aigate::library
