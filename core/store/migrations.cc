#include "core/store/migrations.h"

namespace aigate::store {
namespace {

constexpr std::string_view kV1Accounts = R"SQL(
CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  email      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  tier       TEXT NOT NULL,
  tier_level INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

-- Spendable credits are balance - held.
CREATE TABLE accounts (
  user_id TEXT PRIMARY KEY REFERENCES users(id),
  balance INTEGER NOT NULL CHECK (balance >= 0),
  held    INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0 AND held <= balance)
);

-- Append-only: balance = SUM(amount), held = SUM(held_delta) per user.
CREATE TABLE ledger (
  id            INTEGER PRIMARY KEY,
  user_id       TEXT NOT NULL REFERENCES users(id),
  kind          TEXT NOT NULL CHECK (kind IN ('grant','hold','capture','release','charge')),
  amount        INTEGER NOT NULL,
  held_delta    INTEGER NOT NULL,
  balance_after INTEGER NOT NULL,
  held_after    INTEGER NOT NULL,
  hold_id       TEXT,
  ref           TEXT,
  note          TEXT,
  created_at    INTEGER NOT NULL
);
CREATE INDEX ledger_by_user ON ledger(user_id, id);
CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
  BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

CREATE TABLE holds (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id),
  amount     INTEGER NOT NULL CHECK (amount > 0),
  state      TEXT NOT NULL CHECK (state IN ('open','captured','released')),
  ref        TEXT,
  created_at INTEGER NOT NULL,
  settled_at INTEGER
);
CREATE INDEX holds_open ON holds(user_id) WHERE state = 'open';

-- Packs bought, so the tier can always be derived from history.
CREATE TABLE purchases (
  id         INTEGER PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id),
  pack       TEXT NOT NULL,
  credits    INTEGER NOT NULL,
  price_usd  REAL NOT NULL,
  created_at INTEGER NOT NULL
);

-- Only a SHA-256 of the secret is kept; prefix is for display.
CREATE TABLE api_keys (
  id         TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id),
  hash       BLOB NOT NULL UNIQUE,
  prefix     TEXT NOT NULL,
  name       TEXT,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX api_keys_by_user ON api_keys(user_id);

-- Idempotency-Key records, scoped to a user (or the operator).
CREATE TABLE idempotency (
  scope        TEXT NOT NULL,
  key          TEXT NOT NULL,
  request_hash BLOB NOT NULL,
  state        TEXT NOT NULL CHECK (state IN ('running','done')),
  status       INTEGER,
  body         TEXT,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_by_age ON idempotency(created_at);
)SQL";

constexpr std::string_view kV2Library = R"SQL(
-- The asset library. `seq` is the FTS rowid; `id` is the public id.
CREATE TABLE assets (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL CHECK (type IN ('image','video')),
  file         TEXT NOT NULL,            -- storage key, e.g. "ab/ab12…ef.png"
  mime         TEXT NOT NULL,
  bytes        INTEGER NOT NULL,
  sha256       TEXT NOT NULL UNIQUE,     -- content hash: one asset per file
  title        TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  topic        TEXT NOT NULL DEFAULT '',
  tags         TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  aspect_ratio TEXT NOT NULL,
  width        INTEGER NOT NULL,
  height       INTEGER NOT NULL,
  duration_s   REAL,
  source       TEXT NOT NULL CHECK (source IN ('library','generated')),
  provider     TEXT,
  owner_id     TEXT,                      -- NULL: part of the shared library
  prompt       TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX assets_filter ON assets(type, aspect_ratio, topic);

-- Full-text index over the searchable fields, kept in step by triggers.
CREATE VIRTUAL TABLE assets_fts USING fts5(
  title, tags, description, topic,
  content = 'assets', content_rowid = 'seq',
  tokenize = 'porter unicode61 remove_diacritics 2');
CREATE TRIGGER assets_fts_insert AFTER INSERT ON assets BEGIN
  INSERT INTO assets_fts (rowid, title, tags, description, topic)
  VALUES (new.seq, new.title, new.tags, new.description, new.topic);
END;
CREATE TRIGGER assets_fts_delete AFTER DELETE ON assets BEGIN
  INSERT INTO assets_fts (assets_fts, rowid, title, tags, description, topic)
  VALUES ('delete', old.seq, old.title, old.tags, old.description, old.topic);
END;
CREATE TRIGGER assets_fts_update AFTER UPDATE ON assets BEGIN
  INSERT INTO assets_fts (assets_fts, rowid, title, tags, description, topic)
  VALUES ('delete', old.seq, old.title, old.tags, old.description, old.topic);
  INSERT INTO assets_fts (rowid, title, tags, description, topic)
  VALUES (new.seq, new.title, new.tags, new.description, new.topic);
END;
)SQL";

constexpr std::string_view kV3Jobs = R"SQL(
-- Generation jobs. A job row holds everything needed to resume after a
-- restart: the provider chain and position, the plugin's opaque state, the
-- action in flight (`pending`), the hold and the deadline. Never a secret:
-- `credential_ref` names where the key comes from ("operator" or "byok").
CREATE TABLE jobs (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(id),
  kind           TEXT NOT NULL CHECK (kind IN ('image','video')),
  status         TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','canceled')),
  progress       REAL NOT NULL DEFAULT 0,
  request        TEXT NOT NULL,            -- normalized request JSON (prompt, aspect_ratio, …)
  chain          TEXT NOT NULL,            -- JSON array of provider names, tried in order
  chain_pos      INTEGER NOT NULL DEFAULT 0,
  provider       TEXT NOT NULL,            -- chain[chain_pos]
  credential_ref TEXT NOT NULL DEFAULT 'operator',
  state          TEXT,                     -- the plugin's state after its last action
  pending        TEXT,                     -- the action in flight (JSON), NULL before start
  attempts       INTEGER NOT NULL DEFAULT 0,
  next_at        INTEGER,                  -- unix ms of the next timer, if waiting
  deadline_at    INTEGER NOT NULL,         -- unix ms
  hold_id        TEXT REFERENCES holds(id),  -- NULL when the job costs nothing
  cost           INTEGER NOT NULL,
  byok           INTEGER NOT NULL DEFAULT 0,
  asset_id       TEXT,
  error_code     TEXT,
  error_message  TEXT,
  provider_error TEXT,
  request_id     TEXT,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);
CREATE INDEX jobs_active ON jobs(status) WHERE status IN ('queued','running');
CREATE INDEX jobs_by_user ON jobs(user_id, created_at);
)SQL";

constexpr std::string_view kV4LibraryVersion = R"SQL(
-- What lets an in-memory search index (library/search_index.h) follow the
-- asset table when any connection or process writes it: a counter that every
-- change of `assets` bumps, and the seqs of deleted (or updated) assets with
-- the counter value of their change.
CREATE TABLE library_version (version INTEGER NOT NULL);
INSERT INTO library_version (version) VALUES (0);
CREATE TABLE assets_deleted (
  seq     INTEGER PRIMARY KEY,
  version INTEGER NOT NULL
);
CREATE INDEX assets_deleted_by_version ON assets_deleted(version);
-- Dropped during bulk loads and created again after (library/catalog.cc).
CREATE TRIGGER assets_version_insert AFTER INSERT ON assets BEGIN
  UPDATE library_version SET version = version + 1;
END;
CREATE TRIGGER assets_version_delete AFTER DELETE ON assets BEGIN
  UPDATE library_version SET version = version + 1;
  INSERT OR REPLACE INTO assets_deleted (seq, version)
    SELECT old.seq, version FROM library_version;
END;
CREATE TRIGGER assets_version_update AFTER UPDATE ON assets BEGIN
  UPDATE library_version SET version = version + 1;
  INSERT OR REPLACE INTO assets_deleted (seq, version)
    SELECT old.seq, version FROM library_version;
END;
)SQL";

constexpr std::string_view kV5JobAttempts = R"SQL(
-- One object per provider attempt of a job (routing: fallbacks, breakers).
ALTER TABLE jobs ADD COLUMN attempt_log TEXT NOT NULL DEFAULT '[]';
)SQL";

constexpr std::string_view kV6ByokKeys = R"SQL(
-- Users' own provider keys (BYOK), encrypted with the master key
-- (XChaCha20-Poly1305; the associated data binds each ciphertext to its
-- user and provider, core/byok/keystore.h). Never the key in clear:
-- `key_hint` holds at most its last 4 characters.
CREATE TABLE byok_keys (
  user_id    TEXT NOT NULL REFERENCES users(id),
  provider   TEXT NOT NULL,
  nonce      BLOB NOT NULL CHECK (length(nonce) = 24),
  ciphertext BLOB NOT NULL,
  key_hint   TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, provider)
) WITHOUT ROWID;
)SQL";

constexpr std::string_view kV7Webhooks = R"SQL(
-- Webhook endpoints of Scale users. The secret signs deliveries, so it is kept
-- as is (shown once by the API). `enabled` drops to 0 when the endpoint
-- answers 410 Gone.
CREATE TABLE webhook_endpoints (
  id              TEXT PRIMARY KEY,         -- "wh_…"
  user_id         TEXT NOT NULL REFERENCES users(id),
  url             TEXT NOT NULL,
  events          TEXT NOT NULL,            -- JSON array of event types
  secret          TEXT NOT NULL,            -- "whsec_…"
  enabled         INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_by_user ON webhook_endpoints(user_id, created_at);

-- The secret that signs deliveries to a generation's own webhook_url.
CREATE TABLE webhook_secrets (
  user_id    TEXT PRIMARY KEY REFERENCES users(id),
  secret     TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- The outbox: one row per event and destination, written in the transaction
-- that finishes the job, sent at least once by the delivery worker.
-- `event_id` is the webhook-id, the same for every attempt and destination.
CREATE TABLE webhook_deliveries (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,    -- "whd_…"
  event_id         TEXT NOT NULL,           -- "msg_…"
  event_type       TEXT NOT NULL,
  user_id          TEXT NOT NULL REFERENCES users(id),
  endpoint_id      TEXT REFERENCES webhook_endpoints(id) ON DELETE CASCADE,  -- NULL: the job's webhook_url
  url              TEXT NOT NULL,
  job_id           TEXT NOT NULL,
  payload          TEXT,                    -- the body, fixed at the first attempt
  status           TEXT NOT NULL CHECK (status IN ('pending','delivered','failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  last_status      INTEGER,                 -- HTTP status of the last attempt
  last_error       TEXT,
  last_duration_ms INTEGER,
  last_attempt_at  INTEGER,
  next_at          INTEGER,                 -- unix ms of the next attempt while pending
  created_at       INTEGER NOT NULL,        -- the event's time (unix s)
  updated_at       INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries(endpoint_id, seq);
CREATE INDEX webhook_deliveries_by_user ON webhook_deliveries(user_id, seq);
)SQL";

constexpr std::string_view kV8ActiveJobsByUser = R"SQL(
-- The concurrency cap counts a user's queued and running jobs in the
-- transaction that creates the next one (jobs/job.cc createJob).
CREATE INDEX jobs_active_by_user ON jobs(user_id) WHERE status IN ('queued','running');
)SQL";

constexpr Migration kMigrations[] = {
    {1, "accounts, ledger, keys, idempotency", kV1Accounts},
    {2, "asset library with full-text search", kV2Library},
    {3, "durable generation jobs", kV3Jobs},
    {4, "library change counter for in-memory search", kV4LibraryVersion},
    {5, "attempt log of generation jobs", kV5JobAttempts},
    {6, "BYOK provider keys, encrypted", kV6ByokKeys},
    {7, "webhook endpoints and the delivery outbox", kV7Webhooks},
    {8, "active jobs by user, for the concurrency cap", kV8ActiveJobsByUser},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace aigate::store
