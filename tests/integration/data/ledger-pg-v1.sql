-- A PostgreSQL ledger as ora's schema version 1 made it (src/ledger/
-- ledger_pg_schema.c, schema_v1), with rows of two hosts: the test of
-- `oractl init` upgrading it in place (test_ledger_pg.sh).
CREATE TABLE ora_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE requests (
 host text NOT NULL, id bigint NOT NULL,
 started_ms bigint NOT NULL, settled_ms bigint, state text NOT NULL,
 uid bigint NOT NULL, "user" text NOT NULL, rule_line integer, rule_match text,
 role text, cost_centre text, key_name text,
 model_requested text, models_requested text, model_served text, provider text,
 generation_id text, stream integer NOT NULL DEFAULT 0,
 prompt_tokens bigint NOT NULL DEFAULT 0, completion_tokens bigint NOT NULL DEFAULT 0,
 reasoning_tokens bigint NOT NULL DEFAULT 0, cached_tokens bigint NOT NULL DEFAULT 0,
 cost_pico bigint NOT NULL DEFAULT 0, cost_text text,
 reserved_pico bigint NOT NULL DEFAULT 0, estimated integer NOT NULL DEFAULT 0,
 http_status integer, outcome text, reason text,
 latency_ms double precision, ttfb_ms double precision,
 client_pid integer, client_exe text, count bigint NOT NULL DEFAULT 1,
 PRIMARY KEY (host, id));
CREATE INDEX requests_started ON requests (started_ms);
CREATE INDEX requests_user ON requests ("user", started_ms);
CREATE TABLE audit (
 id bigserial PRIMARY KEY, host text NOT NULL, time_ms bigint NOT NULL,
 uid bigint NOT NULL, "user" text, action text NOT NULL, detail text);
INSERT INTO ora_meta (key, value) VALUES ('schema_version', '1');
INSERT INTO requests (host, id, started_ms, settled_ms, state, uid, "user", cost_centre,
  key_name, model_requested, model_served, prompt_tokens, completion_tokens, cost_pico,
  cost_text, reserved_pico, http_status, outcome)
VALUES
 ('alpha', 1, 1767261600000, 1767261601000, 'settled', 1001, 'alice', 'dev', 'dev',
  'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 10, 20, 1500000000, '0.0015', 9000000000, 200, 'ok'),
 ('alpha', 2, 1767261700000, 1767261701000, 'settled', 1002, 'bob', 'prod', 'prod',
  'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 11, 21, 2500000000, '0.0025', 9000000000, 200, 'ok'),
 ('beta', 1, 1767261800000, 1767261801000, 'settled', 1001, 'alice', 'dev', 'dev',
  'openai/gpt-4o-mini', 'openai/gpt-4o-mini', 12, 22, 4000000000, '0.004', 9000000000, 200, 'ok');
INSERT INTO audit (host, time_ms, uid, "user", action, detail)
VALUES ('alpha', 1767261500000, 0, 'root', 'init', 'made by schema version 1');
