// Reading YAML into typed config with every problem reported at once, as
// "file:line: key.path: problem". Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace aigate::config::yaml {

// Collects "file:line: path: problem" lines so that a file is reported whole.
class Problems {
 public:
  explicit Problems(std::string file) : file_(std::move(file)) {}

  void add(const YAML::Mark& mark, const std::string& path, const std::string& problem) {
    std::ostringstream out;
    out << file_;
    if (mark.line >= 0) out << ':' << (mark.line + 1);
    out << ": " << (path.empty() ? "(top level)" : path) << ": " << problem;
    lines_.push_back(out.str());
  }
  bool empty() const { return lines_.empty(); }
  std::string joined() const {
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    if (!all.empty()) all.pop_back();
    return all;
  }

 private:
  std::string file_;
  std::vector<std::string> lines_;
};

inline std::string join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

// Reads the fields of one YAML mapping, reporting wrong types and, on
// finish(), every key that was never asked for.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, Problems& problems)
      : node_(node), path_(std::move(path)), problems_(problems) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) {
      problems_.add(node_.Mark(), path_, "must be a mapping");
      valid_ = false;
    }
  }
  ~MapReader() { finish(); }

  template <typename T>
  void read(const std::string& key, T& out) {
    YAML::Node value = child(key);
    if (!value) return;
    if (!value.IsScalar()) {
      problems_.add(value.Mark(), join(path_, key), "must be a " + typeName<T>());
      return;
    }
    try {
      out = value.as<T>();
    } catch (const YAML::Exception&) {
      problems_.add(value.Mark(), join(path_, key),
                    "must be a " + typeName<T>() + ", got \"" + value.Scalar() + "\"");
    }
  }

  // The child node (or an undefined node), marking the key as known.
  YAML::Node child(const std::string& key) {
    known_.insert(key);
    if (!valid_ || !node_ || node_.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node_;
    YAML::Node value = map[key];
    if (value && value.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    return value;
  }

  // A list of strings.
  void readList(const std::string& key, std::vector<std::string>& out) {
    YAML::Node value = child(key);
    if (!value) return;
    if (!value.IsSequence()) {
      problems_.add(value.Mark(), join(path_, key), "must be a list");
      return;
    }
    out.clear();
    for (size_t i = 0; i < value.size(); ++i) {
      if (!value[i].IsScalar()) {
        problems_.add(value[i].Mark(), join(path_, key) + "[" + std::to_string(i) + "]",
                      "must be a string");
        continue;
      }
      out.push_back(value[i].Scalar());
    }
  }

  // A list of whole numbers.
  void readIntList(const std::string& key, std::vector<int>& out) {
    std::vector<std::string> items;
    YAML::Node value = child(key);
    if (!value) return;
    readList(key, items);
    if (!value.IsSequence()) return;
    out.clear();
    for (size_t i = 0; i < items.size() && i < value.size(); ++i) {
      try {
        out.push_back(value[i].as<int>());
      } catch (const YAML::Exception&) {
        problems_.add(value[i].Mark(), join(path_, key) + "[" + std::to_string(i) + "]",
                      "must be a whole number, got \"" + items[i] + "\"");
      }
    }
  }

  const std::string& path() const { return path_; }

  void finish() {
    if (finished_ || !valid_ || !node_ || node_.IsNull()) return;
    finished_ = true;
    for (const auto& entry : node_) {
      const std::string key = entry.first.as<std::string>();
      if (!known_.count(key)) problems_.add(entry.first.Mark(), join(path_, key), "unknown key");
    }
  }

 private:
  template <typename T>
  static std::string typeName() {
    if constexpr (std::is_same_v<T, bool>) return "boolean (true/false)";
    if constexpr (std::is_integral_v<T>) return "whole number";
    if constexpr (std::is_floating_point_v<T>) return "number";
    return "string";
  }

  YAML::Node node_;
  std::string path_;
  Problems& problems_;
  std::set<std::string> known_;
  bool valid_ = true;
  bool finished_ = false;
};

}  // namespace aigate::config::yaml
