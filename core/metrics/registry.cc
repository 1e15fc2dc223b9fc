#include "core/metrics/registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace aigate::metrics {
namespace {

bool validName(std::string_view name, bool colons) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                        (colons && ch == ':');
    if (!letter && !(i > 0 && ch >= '0' && ch <= '9')) return false;
  }
  return true;
}

void checkName(std::string_view name) {
  if (!validName(name, true))
    throw std::logic_error("metrics: invalid metric name \"" + std::string(name) + "\"");
}

void checkLabelName(std::string_view family, std::string_view label, bool histogram) {
  if (!validName(label, false) || label.substr(0, 2) == "__" || (histogram && label == "le"))
    throw std::logic_error("metrics: " + std::string(family) + ": invalid label name \"" +
                           std::string(label) + "\"");
}

const char* typeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char ch : help) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

// `{a="x",b="y"` plus `extra` (an already formatted `le="…"`), then `}`;
// nothing at all when there are no labels.
void appendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view extra = {}) {
  if (names.empty() && extra.empty()) return;
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += names[i];
    out += "=\"";
    out += escapeLabelValue(values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  out += '}';
}

void appendSample(std::string& out, std::string_view name, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, double value,
                  std::string_view extra = {}) {
  out += name;
  appendLabels(out, names, values, extra);
  out += ' ';
  out += formatValue(value);
  out += '\n';
}

void writeHeader(std::string& out, std::string_view name, std::string_view help, Type type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += escapeHelp(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += typeName(type);
  out += '\n';
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char ch : value) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '"') out += "\\\"";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

// --- Histogram ---------------------------------------------------------------

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) {
  const size_t i = static_cast<size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Families ----------------------------------------------------------------

FamilyBase::FamilyBase(std::string name, std::string help, Type type,
                       std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)) {
  checkName(name_);
  for (const auto& label : labels_) checkLabelName(name_, label, type_ == Type::kHistogram);
}

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, Type type,
                       std::vector<std::string> labels, std::vector<double> buckets)
    : FamilyBase(std::move(name), std::move(help), type, std::move(labels)),
      buckets_(std::move(buckets)) {
  if (labelNames().empty()) with({});  // an unlabelled metric exists from the start, at 0
}

template <typename Metric>
Metric& Family<Metric>::with(std::initializer_list<std::string_view> values) {
  if (values.size() != labelNames().size())
    throw std::logic_error("metrics: " + name() + " takes " +
                           std::to_string(labelNames().size()) + " label values, got " +
                           std::to_string(values.size()));
  thread_local std::string key;  // reused: no allocation once it is large enough
  key.clear();
  for (std::string_view v : values) {
    key += v;
    key += '\xff';
  }
  {
    std::shared_lock lock(mutex_);
    if (auto it = children_.find(std::string_view(key)); it != children_.end())
      return *it->second.metric;
  }
  std::unique_lock lock(mutex_);
  auto [it, inserted] = children_.try_emplace(key);
  if (inserted) {
    it->second.values.assign(values.begin(), values.end());
    if constexpr (std::is_same_v<Metric, Histogram>)
      it->second.metric = std::make_unique<Histogram>(buckets_);
    else
      it->second.metric = std::make_unique<Metric>();
  }
  return *it->second.metric;
}

template <typename Metric>
void Family<Metric>::forEach(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const {
  std::shared_lock lock(mutex_);
  for (const auto& [key, child] : children_) fn(child.values, *child.metric);
}

template <typename Metric>
bool Family<Metric>::empty() const {
  std::shared_lock lock(mutex_);
  return children_.empty();
}

template <typename Metric>
void Family<Metric>::writeSamples(std::string& out) const {
  // Sorted by label values, so that a scrape reads the same way every time.
  std::vector<const Child*> sorted;
  std::shared_lock lock(mutex_);
  sorted.reserve(children_.size());
  for (const auto& [key, child] : children_) sorted.push_back(&child);
  std::sort(sorted.begin(), sorted.end(),
            [](const Child* a, const Child* b) { return a->values < b->values; });
  for (const Child* child : sorted) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      const auto snap = child->metric->snapshot();
      const auto& bounds = child->metric->bounds();
      const std::string bucket = name() + "_bucket";
      for (size_t i = 0; i <= bounds.size(); ++i) {
        const std::string le =
            "le=\"" + (i < bounds.size() ? formatValue(bounds[i]) : std::string("+Inf")) + "\"";
        appendSample(out, bucket, labelNames(), child->values,
                     static_cast<double>(snap.cumulative[i]), le);
      }
      appendSample(out, name() + "_sum", labelNames(), child->values, snap.sum);
      appendSample(out, name() + "_count", labelNames(), child->values,
                   static_cast<double>(snap.cumulative.back()));
    } else {
      appendSample(out, name(), labelNames(), child->values, child->metric->value());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Collectors --------------------------------------------------------------

void Collection::gauge(std::string_view name, std::string_view help, Labels labels,
                       double value) {
  checkName(name);
  for (const auto& [label, v] : labels) checkLabelName(name, label, false);
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), Emitted{std::string(help), {}}).first;
  it->second.samples.push_back({std::move(labels), value});
}

CollectorHandle::CollectorHandle(CollectorHandle&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)), id_(other.id_) {}

CollectorHandle& CollectorHandle::operator=(CollectorHandle&& other) noexcept {
  if (this != &other) {
    if (registry_) registry_->removeCollector(id_);
    registry_ = std::exchange(other.registry_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

CollectorHandle::~CollectorHandle() {
  if (registry_) registry_->removeCollector(id_);
}

// --- Registry ----------------------------------------------------------------

template <typename Metric>
Family<Metric>& Registry::family(const std::string& name, const std::string& help, Type type,
                                 const std::vector<std::string>& labels,
                                 std::vector<double> buckets) {
  std::lock_guard lock(families_mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_
             .emplace(name, std::make_unique<Family<Metric>>(name, help, type, labels,
                                                             std::move(buckets)))
             .first;
  }
  auto* family = dynamic_cast<Family<Metric>*>(it->second.get());
  if (!family || family->type() != type || family->labelNames() != labels)
    throw std::logic_error("metrics: " + name + " is already registered with another type or labels");
  return *family;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& labels) {
  return family<Counter>(name, help, Type::kCounter, labels, {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labels) {
  return family<Gauge>(name, help, Type::kGauge, labels, {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& labels,
                                       std::span<const double> buckets) {
  if (!std::is_sorted(buckets.begin(), buckets.end()) ||
      std::adjacent_find(buckets.begin(), buckets.end()) != buckets.end())
    throw std::logic_error("metrics: " + name + ": bucket bounds must ascend");
  return family<Histogram>(name, help, Type::kHistogram, labels,
                           std::vector<double>(buckets.begin(), buckets.end()));
}

CollectorHandle Registry::addCollector(CollectFn fn) {
  std::lock_guard lock(collectors_mutex_);
  const uint64_t id = next_collector_++;
  collectors_.emplace(id, std::move(fn));
  return CollectorHandle(this, id);
}

void Registry::removeCollector(uint64_t id) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.erase(id);
}

std::string Registry::expose() const {
  Collection collected;
  {
    std::lock_guard lock(collectors_mutex_);
    for (const auto& [id, fn] : collectors_) fn(collected);
  }
  std::string out;
  std::lock_guard lock(families_mutex_);
  auto family = families_.begin();
  auto gauge = collected.families_.begin();
  // Both maps are sorted by name: merge them. A collected name that is also a
  // registered family is left out (the registered one wins).
  while (family != families_.end() || gauge != collected.families_.end()) {
    const bool take_family =
        gauge == collected.families_.end() ||
        (family != families_.end() && family->first <= gauge->first);
    if (take_family) {
      if (gauge != collected.families_.end() && gauge->first == family->first) ++gauge;
      const FamilyBase& f = *family->second;
      ++family;
      if (f.empty()) continue;
      writeHeader(out, f.name(), f.help(), f.type());
      f.writeSamples(out);
      continue;
    }
    writeHeader(out, gauge->first, gauge->second.help, Type::kGauge);
    for (const auto& sample : gauge->second.samples) {
      std::vector<std::string> names, values;
      for (const auto& [n, v] : sample.labels) {
        names.push_back(n);
        values.push_back(v);
      }
      appendSample(out, gauge->first, names, values, sample.value);
    }
    ++gauge;
  }
  return out;
}

Registry& registry() {
  static Registry* const instance = new Registry();  // never destroyed: threads may outlive main
  return *instance;
}

}  // namespace aigate::metrics
