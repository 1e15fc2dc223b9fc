// Typed configuration of the gateway, loaded from YAML and validated whole.
//
// Every field has the default that config/aigate.yaml documents, so an empty
// file (or no file) gives the embedded defaults. Secrets never live here: the
// admin token and the BYOK master key come from the environment or a file.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace aigate::config {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";
  int threads = 2;
  // Public base URL used in links the gateway hands out; empty = derived from
  // the request's Host header.
  std::string public_url;
  int64_t max_body_bytes = 1 << 20;
  int header_timeout_ms = 10'000;
  int body_timeout_ms = 30'000;
  int keepalive_timeout_s = 75;
  int shutdown_grace_ms = 10'000;
};

struct StoreConfig {
  // "full" survives power loss; "normal" survives a process crash only.
  std::string synchronous = "full";
  // The most write requests that may share one commit.
  int group_commit_max = 256;
  int busy_timeout_ms = 5'000;
  // How much of the database file each read connection maps (0, the default:
  // none). Every commit empties a reader's page cache; mapped pages are read
  // again without a system call: about 20 % less CPU a library hit on a small
  // library. But they count in the process's RSS (a million-asset library:
  // 361 MiB peak instead of 105), and a growing file is remapped.
  int reader_mmap_mb = 0;
};

struct RegistrationConfig {
  bool open = true;
  int64_t free_credits = 100;
};

struct PricesConfig {
  int64_t library_image = 10;
  int64_t library_video = 100;
  int64_t generated_image = 10;
  int64_t generated_video = 100;
  int64_t byok_image = 2;
  int64_t byok_video = 20;
};

struct TierConfig {
  std::string name;
  int level = 0;
  int requests_per_minute = 60;
  int concurrent_generations = 2;
};

struct PackConfig {
  std::string name;
  int64_t credits = 0;
  double price_usd = 0;
  std::string tier;  // a name from `tiers`
};

// The minimum tier level that unlocks each feature.
struct FeaturesConfig {
  int video = 1;
  int byok = 3;
  int webhooks = 3;
  int smart_routing = 3;
};

struct LibraryConfig {
  // A generate request is answered from the library when the best asset
  // covers at least this share of the prompt's terms (0..1).
  double match_threshold = 0.6;
  // Search and library matching answer from an in-memory index (built at the
  // first search, seconds for a million assets) once the library holds at
  // least this many assets; below it, from SQLite's full-text index alone.
  // 0 (the default): always from memory — even at a thousand assets FTS5
  // alone made a library hit cost 2.5 times the CPU (bench/library.sh).
  int64_t memory_index_min_assets = 0;
};

struct PluginsConfig {
  // Plugin files loaded at start-up; a relative path is taken from the folder
  // of the aigate binary.
  std::vector<std::string> paths = {
      "../plugins/aigate_local.so",     "../plugins/aigate_openai_images.so",
      "../plugins/aigate_runwayml.so",  "../plugins/aigate_luma.so",
      "../plugins/aigate_kling.so",     "../plugins/aigate_pika.so",
      "../plugins/aigate_fal.so",       "../plugins/aigate_replicate.so",
      "../plugins/aigate_stability.so", "../plugins/aigate_bfl.so",
      "../plugins/aigate_ideogram.so",  "../plugins/aigate_google.so",
      "../plugins/aigate_minimax.so",   "../plugins/aigate_leonardo.so"};
};

// One configured provider: a loaded plugin plus the operator's settings.
struct ProviderConfig {
  std::string name;    // what clients and routing call it: [a-z0-9_]+
  std::string plugin;  // the name of a loaded plugin
  // The plugin's settings as JSON text (base URL, timeouts…; never a secret).
  std::string settings_json = "{}";
  // Environment variable holding the operator's API key for this provider;
  // "" when the provider needs none.
  std::string api_key_env;
};

struct GenerationConfig {
  // Providers tried in order for each kind, until routing rules replace them.
  std::vector<std::string> image = {"local"};
  std::vector<std::string> video = {"local"};
  // An image request waits this long for its result before answering 202.
  int image_wait_s = 30;
  // A job not finished by then fails and its credits are released.
  int job_deadline_s = 900;
  // Tries of one provider when it fails with a retryable error.
  int max_attempts = 3;
  // The first retry waits about this long (±50% jitter), doubling each time.
  int retry_base_ms = 500;
  // Threads for local rendering and output downloads.
  int workers = 2;
  // Outputs larger than this fail the job.
  int64_t max_output_bytes = 256ll << 20;
  // Generated assets also join the shared library (otherwise only their owner
  // finds them).
  bool share_generated = false;
};

// Where the routing rules live (their format: config/routing_config.h).
struct RoutingRef {
  // The rules file, relative to this config file's folder. Empty: only the
  // default rule (generation.image / generation.video, in order).
  std::string file;
};

struct IdempotencyConfig {
  int ttl_hours = 24;
};

struct AdminConfig {
  // Names of the environment variables that carry the operator token or the
  // path of a file holding it. The token itself is never in the YAML.
  std::string token_env = "AIGATE_ADMIN_TOKEN";
  std::string token_file_env = "AIGATE_ADMIN_TOKEN_FILE";
};

struct ByokConfig {
  // Names of the environment variables that carry the master key that
  // encrypts users' provider keys (32 bytes as base64 or hex), or the path of
  // a file holding it. Without either, <data_dir>/master.key is used (made on
  // first start). The key itself is never in the YAML.
  std::string master_key_env = "AIGATE_MASTER_KEY";
  std::string master_key_file_env = "AIGATE_MASTER_KEY_FILE";
};

struct WebhooksConfig {
  // Delays in seconds before each retry of a delivery that failed (±20%
  // jitter); the first attempt is immediate, and after the last retry the
  // delivery fails for good.
  std::vector<int> retry_schedule_s = {5, 300, 1800, 7200, 18000, 36000, 50400};
  // An attempt without a complete answer within this long has failed.
  int timeout_ms = 10'000;
  // Hosts (names or addresses) deliveries may reach even though they are
  // loopback or private; by default none.
  std::vector<std::string> allow_hosts;
};

struct MetricsConfig {
  // GET /metrics asks for the operator token (Bearer) when true.
  bool require_token = false;
};

struct LogConfig {
  // One structured line per request on stderr.
  bool requests = true;
  // "json" (one object per line) or "text" (logfmt: key=value …).
  std::string format = "json";
};

struct Config {
  std::string source = "<defaults>";  // file the config came from
  ServerConfig server;
  std::string data_dir = "./data";
  StoreConfig store;
  RegistrationConfig registration;
  PricesConfig prices;
  std::string free_tier = "free";
  std::vector<TierConfig> tiers;
  std::vector<PackConfig> packs;
  FeaturesConfig features;
  LibraryConfig library;
  PluginsConfig plugins;
  std::vector<ProviderConfig> providers;
  GenerationConfig generation;
  RoutingRef routing;
  IdempotencyConfig idempotency;
  AdminConfig admin;
  ByokConfig byok;
  WebhooksConfig webhooks;
  MetricsConfig metrics;
  LogConfig log;

  Config();  // fills tiers and packs with the documented defaults

  const TierConfig* findTier(const std::string& name) const;
  const PackConfig* findPack(const std::string& name) const;
  const ProviderConfig* findProvider(const std::string& name) const;
  // routing.file resolved against the folder of `source`; "" when unset.
  std::string routingFile() const;
};

// Thrown by load() with every problem found, one per line:
// "file:line: key.path: problem".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads and validates `path`. Throws ConfigError listing every problem.
Config load(const std::string& path);
// Parses YAML text as if read from `source_name` (tests, embedded defaults).
Config parse(const std::string& yaml_text, const std::string& source_name);

// Splits "host:port"; returns nullopt when malformed.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
std::optional<HostPort> parseHostPort(const std::string& text);

// The operator token from the environment variable or file named in
// `admin`; empty when neither is set. Throws ConfigError if the file is named
// but unreadable or empty.
std::string resolveAdminToken(const AdminConfig& admin);

}  // namespace aigate::config
