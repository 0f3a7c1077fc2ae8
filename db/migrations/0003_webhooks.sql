-- Outgoing webhooks (Standard Webhooks): admin-registered endpoints, one delivery per
-- (endpoint, event) with its retry state, and every attempt recorded.

CREATE TABLE webhook_endpoint (
    id            bigserial PRIMARY KEY,
    url           text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 2000),
    secret        text NOT NULL CHECK (secret LIKE 'whsec\_%'),
    types         text[] NOT NULL DEFAULT '{}',       -- empty = every event type
    active        boolean NOT NULL DEFAULT true,
    -- Events with id > cursor have not been turned into deliveries yet. Starts at the outbox
    -- head when the endpoint is registered: an endpoint receives what happens after it exists.
    cursor        bigint NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_delivery (
    id              bigserial PRIMARY KEY,
    endpoint_id     bigint NOT NULL REFERENCES webhook_endpoint (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES sync_event (id),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    window_start    timestamptz NOT NULL,      -- retries run until this + 72 h, then dead-letter
    next_attempt_at timestamptz,               -- NULL once delivered or dead
    last_attempt_at timestamptz,
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempt (
    id            bigserial PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
    attempt       integer NOT NULL,
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   integer NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id, attempt);
