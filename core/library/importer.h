// `aigate library import`: media files plus a manifest into storage and the
// catalog. Safe to re-run: files are de-duplicated by content hash.
#pragma once

#include "core/storage/storage.h"
#include "core/store/store.h"

#include <functional>
#include <string>
#include <vector>

namespace aigate::library {

struct ImportProblem {
  int line = 0;
  std::string file;
  std::string problem;
};

struct ImportReport {
  std::string manifest;  // the manifest that was read
  int rows = 0;          // rows in the manifest, good and bad
  int imported = 0;      // new assets
  int duplicates = 0;    // rows whose file was in the library already
  std::vector<ImportProblem> problems;  // rows left out, with the reason
};

struct ImportOptions {
  // From this many rows on, the import loads in bulk (see beginBulkLoad()).
  int bulk_rows = 20'000;
};

// Called now and then with rows done and rows in all.
using ImportProgress = std::function<void(int done, int total)>;

// Imports `path`: a manifest file (.jsonl or .csv), or a folder holding
// manifest.jsonl or manifest.csv. File paths in the manifest are relative to
// its folder. Bad rows are reported and skipped; good rows are kept. Throws
// std::runtime_error when there is no manifest to read.
ImportReport importLibrary(const std::string& path, store::Store& store,
                           storage::AssetStorage& storage, const ImportProgress& progress,
                           const ImportOptions& options = {});

}  // namespace aigate::library
