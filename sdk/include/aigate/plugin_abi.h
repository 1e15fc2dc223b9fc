/*
 * The binary contract between the AIGate host and a provider plugin.
 *
 * This C header is the only stable interface: a plugin is a shared library
 * exporting `aigate_plugin_entry()`, which returns a versioned, size-prefixed
 * table of functions. Everything crosses as plain C: strings are pointer +
 * length, JSON is UTF-8 text, and whoever allocates a buffer frees it.
 *
 * A plugin is a sans-I/O state machine: it never opens a socket, sleeps or
 * starts a thread. The host calls step() with an event (JSON) and performs the
 * action the plugin answers (JSON): send an HTTP request, wait, finish or
 * fail. The plugin's state travels inside the events and actions as opaque
 * JSON, so the host can store it and resume after a restart.
 *
 * Versioning: the host refuses a plugin whose major version differs from its
 * own, whose minor version is newer than its own, or whose table is smaller
 * than the table of the minor version it claims. New minor versions only
 * append members to the table.
 */
#ifndef AIGATE_PLUGIN_ABI_H
#define AIGATE_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AIGATE_PLUGIN_ABI_MAJOR 1
#define AIGATE_PLUGIN_ABI_MINOR 0
#define AIGATE_PLUGIN_ABI_VERSION ((AIGATE_PLUGIN_ABI_MAJOR << 16) | AIGATE_PLUGIN_ABI_MINOR)
#define AIGATE_PLUGIN_ABI_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define AIGATE_PLUGIN_ABI_VERSION_MINOR(v) ((uint32_t)(v)&0xffffu)

/* The name of the one symbol a plugin exports. */
#define AIGATE_PLUGIN_ENTRY_SYMBOL "aigate_plugin_entry"

#if defined(_WIN32)
#define AIGATE_PLUGIN_EXPORT __declspec(dllexport)
#else
#define AIGATE_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* A borrowed string: valid only for the duration of the call it is passed to.
 * Not NUL-terminated. */
typedef struct aigate_str {
  const char* data;
  size_t size;
} aigate_str;

/* A string the plugin allocated and hands to the host. The host releases it
 * with the plugin's free_buf(), exactly once. {NULL, 0} is an empty buffer and
 * need not be freed. */
typedef struct aigate_buf {
  char* data;
  size_t size;
} aigate_buf;

/* The function table, ABI version 1.0. */
typedef struct aigate_plugin_v1 {
  /* AIGATE_PLUGIN_ABI_VERSION as the plugin was compiled. Read first. */
  uint32_t abi_version;
  /* sizeof(aigate_plugin_v1) as the plugin was compiled. */
  uint32_t struct_size;
  /* The plugin's unique name ("openai_images"): [a-z0-9_]+, static storage. */
  aigate_str name;

  /* The plugin's description, JSON:
   *   {"name": …, "version": "1.2.0", "description": "…",
   *    "kinds": ["image", "video"], "models": ["…"], "default_model": "…",
   *    "aspect_ratios": ["1:1", …], "price": {"image": 10, "video": 100},
   *    "local": false, "can_cancel": true}
   * "name" must equal `name` above. Ownership: the host frees the result with
   * free_buf(). Thread-safe. */
  aigate_buf (*describe)(void);

  /* Creates an instance from JSON settings (the operator's per-provider config:
   * base URL, timeouts, …; never a secret). Returns NULL on failure and then
   * sets *error to a message the host frees with free_buf(). The host destroys
   * the instance with destroy(). An instance is used by one thread at a time
   * but may move between threads. */
  void* (*create)(aigate_str settings_json, aigate_buf* error);

  /* Advances one job. `event_json` is one of:
   *   {"event": "start", "job_id", "request": {"kind", "prompt", "aspect_ratio",
   *      "model", "seed", …}, "credential": {"api_key": …} | null, "state": null}
   *   {"event": "http_response", "status": 200, "headers": {…}, "body": "…",
   *      "body_base64": bool, "state": …}
   *   {"event": "http_error", "message": "…", "state": …}   (no response)
   *   {"event": "timer", "state": …}                       (a wait elapsed)
   *   {"event": "cancel", "state": …}
   * Every event carries "credential" (the key to use, or null). The host
   * stores the state a plugin returns (to resume after a restart), so a plugin
   * must never put the credential into its state: read it from each event.
   * and the answer (freed by the host with free_buf()) is one of:
   *   {"action": "http", "request": {"method", "url", "headers": {…}, "body",
   *      "body_base64": bool, "timeout_ms"}, "state": …}
   *   {"action": "wait", "ms": 5000, "state": …}
   *   {"action": "done", "outputs": [{"url": "…"} | {"data_base64": "…"},
   *      with "mime", "width", "height", "duration_s"], "usage": {…}, "state": …}
   *   {"action": "fail", "code": "content_policy" | "invalid_request" |
   *      "upstream_error" | "timeout" | …, "message": "…", "retryable": bool}
   * An "http" or "wait" action may also carry "progress": 0..1, how far the
   * job is, which clients see.
   * What the host does with a "fail": when retryable, after a jittered
   * backoff it sends the plugin's last "http" request again (with the state
   * of that action) if a response to it caused the fail, or starts the job
   * afresh (a new "start") if the fail followed a "wait"; after
   * generation.max_attempts tries, or when not retryable, it moves on to the
   * next provider, except for "content_policy" and "invalid_request" (and
   * "canceled"), which end the job: the request itself was refused.
   * A plugin must not throw across this boundary; a C++ plugin built with the
   * SDK helper turns exceptions into a non-retryable "fail". */
  aigate_buf (*step)(void* instance, aigate_str event_json);

  /* Releases a buffer this plugin returned. */
  void (*free_buf)(aigate_buf buf);

  /* Destroys an instance from create(). */
  void (*destroy)(void* instance);
} aigate_plugin_v1;

/* Exported by every plugin. Returns a table with static storage duration. */
typedef const aigate_plugin_v1* (*aigate_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* AIGATE_PLUGIN_ABI_H */
