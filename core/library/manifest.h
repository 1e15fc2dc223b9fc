// Reading import manifests: JSONL (one object per line) or CSV with a header
// row. Each row names a media file and describes it.
#pragma once

#include <string>
#include <vector>

namespace aigate::library {

struct ManifestRow {
  int line = 0;      // where the row starts in the manifest, from 1
  std::string file;  // as written: relative to the manifest's folder, or absolute
  std::string title;
  std::string description;
  std::string topic;
  std::vector<std::string> tags;
};

struct ManifestProblem {
  int line = 0;
  std::string problem;
};

struct Manifest {
  std::vector<ManifestRow> rows;
  std::vector<ManifestProblem> problems;  // rows that could not be read
};

// JSONL rows: {"file", "title", "description"?, "topic"?, "tags"?}; tags is a
// list of strings or one string separated by commas. Blank lines are skipped.
Manifest parseJsonl(const std::string& text);

// CSV with a header naming the columns file, title, description, topic, tags
// (tags separated by ';' or ','); fields may be "quoted", with "" for a quote.
Manifest parseCsv(const std::string& text);

}  // namespace aigate::library
