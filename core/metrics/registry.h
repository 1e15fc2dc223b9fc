// Prometheus metrics: counters, gauges and histograms with labels, cheap to
// update from any thread, and their exposition in the text format 0.0.4.
//
// A family (name, help, label names) holds one metric per set of label
// values. family.with({...}) creates that metric at its first use; later calls
// find it with one hash lookup and no allocation, and the reference stays
// valid for the life of the process (keep it to skip even the lookup).
// Updates are single atomic operations. Scrape-time collectors add gauges
// computed when the metrics are read (from a SQL query, say).
//
// Threading: everything may be called from any thread. Collectors run on the
// scraping thread, one scrape at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace aigate::metrics {

class Counter {
 public:
  void inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending; +Inf is implied.
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    double sum = 0;
  };
  // Counts are read bucket by bucket, so they always agree with each other;
  // `sum` may lag an observation made during the read.
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // One per bound plus one above every bound: a value counts in one bucket.
  const std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, from 1 ms to a minute.
inline constexpr double kLatencyBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,    1,     2.5,  5,     10,   30, 60};

enum class Type { kCounter, kGauge, kHistogram };

// What every family shares; the exposition walks these.
class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labels);
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& labelNames() const { return labels_; }

  // Appends this family's samples (not its HELP and TYPE lines) to `out`.
  virtual void writeSamples(std::string& out) const = 0;
  virtual bool empty() const = 0;

 private:
  const std::string name_;
  const std::string help_;
  const Type type_;
  const std::vector<std::string> labels_;
};

template <typename Metric>
class Family final : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labels,
         std::vector<double> buckets = {});

  // The metric for these label values, given in the order of the label names.
  // Throws std::logic_error when their number differs (a bug in the caller).
  Metric& with(std::initializer_list<std::string_view> values);

  // Calls `fn(label values, metric)` for every metric made so far.
  void forEach(const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const;

  void writeSamples(std::string& out) const override;
  bool empty() const override;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Child {
    std::vector<std::string> values;
    std::unique_ptr<Metric> metric;
  };

  const std::vector<double> buckets_;  // histograms only
  mutable std::shared_mutex mutex_;
  // Keyed by the label values joined with '\xff' (never in UTF-8).
  std::unordered_map<std::string, Child, Hash, std::equal_to<>> children_;  // Guarded by mutex_
};

using Labels = std::vector<std::pair<std::string, std::string>>;

// What a scrape-time collector emits: gauges, each a family name, its help,
// labels and value. Samples of one name share the first help given.
class Collection {
 public:
  void gauge(std::string_view name, std::string_view help, Labels labels, double value);

 private:
  friend class Registry;
  struct Sample {
    Labels labels;
    double value;
  };
  struct Emitted {
    std::string help;
    std::vector<Sample> samples;
  };
  std::map<std::string, Emitted, std::less<>> families_;
};

class Registry;

// Keeps a collector registered; unregisters it when destroyed (after any
// scrape that is running it has finished).
class CollectorHandle {
 public:
  CollectorHandle() = default;
  CollectorHandle(Registry* registry, uint64_t id) : registry_(registry), id_(id) {}
  CollectorHandle(CollectorHandle&& other) noexcept;
  CollectorHandle& operator=(CollectorHandle&& other) noexcept;
  ~CollectorHandle();

 private:
  Registry* registry_ = nullptr;
  uint64_t id_ = 0;
};

class Registry {
 public:
  // The family called `name`, made at the first call. Later calls return the
  // same family; a different type or label names for the same name throws
  // std::logic_error, as do names Prometheus does not allow.
  Family<Counter>& counter(const std::string& name, const std::string& help,
                           const std::vector<std::string>& labels = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       const std::vector<std::string>& labels = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labels,
                               std::span<const double> buckets = kLatencyBuckets);

  using CollectFn = std::function<void(Collection&)>;
  // Runs `fn` at every scrape until the handle is destroyed.
  [[nodiscard]] CollectorHandle addCollector(CollectFn fn);

  // Every family and collected gauge in the text format 0.0.4, sorted by name;
  // families without samples yet are left out.
  std::string expose() const;

 private:
  friend class CollectorHandle;
  void removeCollector(uint64_t id);
  template <typename Metric>
  Family<Metric>& family(const std::string& name, const std::string& help, Type type,
                         const std::vector<std::string>& labels, std::vector<double> buckets);

  mutable std::mutex families_mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;  // Guarded by families_mutex_

  mutable std::mutex collectors_mutex_;  // held while collectors run
  std::map<uint64_t, CollectFn> collectors_;  // Guarded by collectors_mutex_
  uint64_t next_collector_ = 1;               // Guarded by collectors_mutex_
};

// The process's registry, where the gateway's metrics live.
Registry& registry();

// Text-format helpers (exposed for tests).
// A label value with \, " and newline escaped.
std::string escapeLabelValue(std::string_view value);
// A sample value: shortest round-trip decimal, or +Inf, -Inf, NaN.
std::string formatValue(double value);

}  // namespace aigate::metrics
