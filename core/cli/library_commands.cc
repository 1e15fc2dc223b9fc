// `aigate library import PATH`.
#include "core/cli/commands.h"
#include "core/library/importer.h"

#include <iostream>

namespace aigate::cli {

int importLibrary(const CommonOptions& common, const std::string& path) {
  const config::Config cfg = loadConfig(common);
  auto store = openStore(cfg);
  auto storage = openStorage(cfg);
  const auto report = library::importLibrary(path, *store, *storage, [](int done, int total) {
    std::cerr << "\rimporting: " << done << "/" << total << std::flush;
  });
  std::cerr << std::endl;

  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : report.problems) {
    problems.push_back({{"line", p.line}, {"file", p.file}, {"problem", p.problem}});
    std::cerr << report.manifest << ":" << p.line << ": " << (p.file.empty() ? "" : p.file + ": ")
              << p.problem << std::endl;
  }
  printResult(common, {{"manifest", report.manifest},
                       {"rows", report.rows},
                       {"imported", report.imported},
                       {"duplicates", report.duplicates},
                       {"failed", report.problems.size()},
                       {"problems", problems}});
  return report.problems.empty() ? 0 : 1;
}

}  // namespace aigate::cli
