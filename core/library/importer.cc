#include "core/library/importer.h"

#include "core/common/crypto.h"
#include "core/library/catalog.h"
#include "core/library/manifest.h"
#include "core/library/media_probe.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace aigate::library {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBatch = 500;  // assets per store write

fs::path findManifest(const std::string& path) {
  fs::path p(path);
  if (fs::is_directory(p)) {
    for (const char* name : {"manifest.jsonl", "manifest.csv"})
      if (fs::exists(p / name)) return p / name;
    throw std::runtime_error(path + ": no manifest.jsonl or manifest.csv in this folder");
  }
  if (!fs::exists(p)) throw std::runtime_error(path + ": no such file or folder");
  return p;
}

std::string readAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error(p.string() + ": cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `fn` in one store write; throws when the store refuses it.
void writeOrThrow(store::Store& store, const std::function<void(store::Conn&)>& fn) {
  Status status = store.writeSync([&](store::Conn& c) {
    fn(c);
    return Status::Ok();
  });
  if (!status.ok()) throw std::runtime_error("the store refused the import: " + status.error().message());
}

// Writes a batch of assets in one transaction; counts new ones and duplicates.
void flush(store::Store& store, std::vector<Asset>& batch, ImportReport& report) {
  if (batch.empty()) return;
  int inserted = 0;
  writeOrThrow(store, [&](store::Conn& c) {
    inserted = 0;
    for (const auto& asset : batch)
      if (insertAsset(c, asset).inserted) ++inserted;
  });
  report.imported += inserted;
  report.duplicates += static_cast<int>(batch.size()) - inserted;
  batch.clear();
}

// Probes, stores and catalogs every good row; bad ones go to the report.
void importRows(const Manifest& manifest, const std::filesystem::path& base, store::Store& store,
                storage::AssetStorage& storage, const ImportProgress& progress,
                ImportReport& report) {
  std::vector<Asset> batch;
  int done = 0;
  for (const auto& row : manifest.rows) {
    if (progress && ++done % 100 == 0) progress(done, static_cast<int>(manifest.rows.size()));
    const fs::path file = fs::path(row.file).is_absolute() ? fs::path(row.file) : base / row.file;
    std::string problem;
    auto info = probeFile(file.string(), &problem);
    if (!info) {
      report.problems.push_back({row.line, row.file, problem});
      continue;
    }
    const auto digest = sha256File(file.string());
    if (!digest) {
      report.problems.push_back({row.line, row.file, "cannot read the file"});
      continue;
    }
    Asset asset;
    asset.sha256 = toHex(*digest);
    asset.type = info->type;
    asset.mime = info->mime;
    asset.file = storage::contentKey(asset.sha256, info->ext);
    asset.bytes = fs::file_size(file);
    asset.title = row.title;
    asset.description = row.description;
    asset.topic = row.topic;
    asset.tags = row.tags;
    asset.width = info->width;
    asset.height = info->height;
    asset.duration_s = info->duration_s;
    asset.aspect_ratio = bucketAspectRatio(info->width, info->height);
    if (Status stored = storage.putFile(asset.file, file.string()); !stored.ok()) {
      report.problems.push_back({row.line, row.file, stored.error().message()});
      continue;
    }
    batch.push_back(std::move(asset));
    if (batch.size() >= kBatch) flush(store, batch, report);
  }
  flush(store, batch, report);
}

}  // namespace

ImportReport importLibrary(const std::string& path, store::Store& store,
                           storage::AssetStorage& storage, const ImportProgress& progress,
                           const ImportOptions& options) {
  const fs::path manifest_path = findManifest(path);
  const std::string text = readAll(manifest_path);
  const bool csv = manifest_path.extension() == ".csv";
  Manifest manifest = csv ? parseCsv(text) : parseJsonl(text);

  ImportReport report;
  report.manifest = manifest_path.string();
  report.rows = static_cast<int>(manifest.rows.size() + manifest.problems.size());
  for (const auto& p : manifest.problems) report.problems.push_back({p.line, "", p.problem});

  const fs::path base = manifest_path.parent_path();
  const bool bulk = static_cast<int>(manifest.rows.size()) >= options.bulk_rows;
  if (bulk) writeOrThrow(store, beginBulkLoad);
  try {
    importRows(manifest, base, store, storage, progress, report);
  } catch (...) {
    if (bulk) writeOrThrow(store, endBulkLoad);
    throw;
  }
  if (bulk) writeOrThrow(store, endBulkLoad);
  std::stable_sort(report.problems.begin(), report.problems.end(),
                   [](const ImportProblem& a, const ImportProblem& b) { return a.line < b.line; });
  if (progress) progress(static_cast<int>(manifest.rows.size()), static_cast<int>(manifest.rows.size()));
  return report;
}

}  // namespace aigate::library
