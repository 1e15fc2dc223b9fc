// Small libraries for tests: media files (hand-built headers) and a manifest.
#pragma once

#include "core/library/importer.h"
#include "tests/support/test_gateway.h"

#include <string>
#include <vector>

namespace aigate::testing {

struct SampleAsset {
  std::string file;   // name in the folder; its extension picks the format
  int width = 512;
  int height = 512;
  std::string title;
  std::string description;
  std::string topic;
  std::vector<std::string> tags;
};

// Writes each asset's file (distinct bytes per asset) and manifest.jsonl into
// `dir`, which must exist.
void writeLibraryFolder(const std::string& dir, const std::vector<SampleAsset>& assets);

// Imports a folder into the gateway's store and storage.
library::ImportReport importInto(TestGateway& gw, const std::string& dir);

// Eight assets over three topics and several ratios, for search and matching.
std::vector<SampleAsset> standardLibrary();

// A row of the shared library, numbered `n`: a 64×64 PNG image, 1:1, whose
// content hash is `n` (no file behind it), titled `title`. For tests of the
// catalog and its indexes, which need rows, not files.
library::Asset assetRow(int n, const std::string& title);

}  // namespace aigate::testing
