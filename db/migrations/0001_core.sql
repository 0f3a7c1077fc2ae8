-- Core scheduling schema: clinic, people, treatments, availability, appointments (+ holds).
-- Double booking is impossible here, whatever path writes: one exclusion constraint covers
-- appointments and holds of the same dentist (holds are appointment rows with status 'held').

CREATE FUNCTION is_valid_timezone(tz text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = tz)
$$;

CREATE TABLE clinic (
    id                smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    timezone          text NOT NULL CHECK (is_valid_timezone(timezone)),
    address           text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    email             text NOT NULL DEFAULT '',
    opening_hours     jsonb NOT NULL DEFAULT '{}'::jsonb,
    info              jsonb NOT NULL DEFAULT '{}'::jsonb,
    slot_interval_min integer NOT NULL DEFAULT 15 CHECK (slot_interval_min BETWEEN 5 AND 240),
    min_notice_min    integer NOT NULL DEFAULT 60 CHECK (min_notice_min BETWEEN 0 AND 20160),
    horizon_days      integer NOT NULL DEFAULT 90 CHECK (horizon_days BETWEEN 1 AND 730),
    hold_ttl_s        integer NOT NULL DEFAULT 300 CHECK (hold_ttl_s BETWEEN 10 AND 86400)
);

CREATE TABLE dentist (
    id          serial PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    title       text NOT NULL DEFAULT 'Dr',
    specialties text[] NOT NULL DEFAULT '{}',   -- treatment codes; empty = every treatment
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    bio         text NOT NULL DEFAULT '',
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE patient (
    id         serial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    phone      text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Accounts known to the demo sign-in; production tokens come from the identity provider.
CREATE TABLE app_user (
    sub          text PRIMARY KEY CHECK (length(sub) BETWEEN 1 AND 200),
    role         text NOT NULL CHECK (role IN ('patient', 'dentist', 'admin', 'chatbot')),
    display_name text NOT NULL DEFAULT '',
    patient_id   integer REFERENCES patient (id) ON DELETE CASCADE,
    dentist_id   integer REFERENCES dentist (id) ON DELETE CASCADE,
    CHECK ((role = 'patient') = (patient_id IS NOT NULL)),
    CHECK ((role = 'dentist') = (dentist_id IS NOT NULL))
);

CREATE TABLE treatment (
    id           serial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    duration_min integer NOT NULL CHECK (duration_min BETWEEN 5 AND 480),
    buffer_min   integer NOT NULL DEFAULT 0 CHECK (buffer_min BETWEEN 0 AND 120),
    price_cents  integer NOT NULL DEFAULT 0 CHECK (price_cents >= 0),
    description  text NOT NULL DEFAULT '',
    synonyms     text[] NOT NULL DEFAULT '{}'
);

-- Weekly hours in clinic local time; isodow 1 = Monday .. 7 = Sunday.
CREATE TABLE availability_rule (
    id         bigserial PRIMARY KEY,
    dentist_id integer NOT NULL REFERENCES dentist (id) ON DELETE CASCADE,
    isodow     smallint NOT NULL CHECK (isodow BETWEEN 1 AND 7),
    start_time time NOT NULL,
    end_time   time NOT NULL,
    valid_from date NOT NULL,
    valid_to   date,                            -- inclusive; NULL = open-ended
    CHECK (end_time > start_time),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX availability_rule_dentist ON availability_rule (dentist_id, isodow);

-- Date overrides: 'off' removes time (vacation, blocks), 'extra' adds hours.
CREATE TABLE availability_exception (
    id         bigserial PRIMARY KEY,
    dentist_id integer NOT NULL REFERENCES dentist (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('off', 'extra')),
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (ends_at - starts_at <= interval '366 days')
);
CREATE INDEX availability_exception_dentist ON availability_exception (dentist_id, starts_at);

CREATE TABLE appointment (
    id              bigserial PRIMARY KEY,
    dentist_id      integer NOT NULL REFERENCES dentist (id),
    patient_id      integer NOT NULL REFERENCES patient (id),
    treatment_id    integer NOT NULL REFERENCES treatment (id),
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    blocks_until    timestamptz NOT NULL,       -- ends_at + the treatment's buffer
    status          text NOT NULL CHECK (status IN ('held', 'scheduled', 'confirmed', 'arrived',
                                                    'completed', 'no_show', 'cancelled', 'expired')),
    hold_expires_at timestamptz,
    notes           text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at),
    CHECK (blocks_until >= ends_at),
    CHECK (ends_at - starts_at <= interval '8 hours'),
    CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
    CONSTRAINT appointment_no_overlap EXCLUDE USING gist (
        int4range(dentist_id, dentist_id, '[]') WITH =,
        tstzrange(starts_at, blocks_until) WITH &&
    ) WHERE (status NOT IN ('cancelled', 'expired'))
);
CREATE INDEX appointment_patient ON appointment (patient_id, starts_at);
CREATE INDEX appointment_dentist_time ON appointment (dentist_id, starts_at);
CREATE INDEX appointment_live_holds ON appointment (hold_expires_at) WHERE status = 'held';

-- A patient asked for a person; the admin dashboard shows it live.
CREATE TABLE handoff_request (
    id         bigserial PRIMARY KEY,
    patient_id integer REFERENCES patient (id),
    sender     text NOT NULL,
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 2000),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The row as the API shows it (GET /api/appointments and event payloads share it).
CREATE FUNCTION appointment_doc(a appointment) RETURNS jsonb
LANGUAGE sql STABLE SET timezone TO 'UTC' AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'dentist_id', a.dentist_id,
        'patient_id', a.patient_id,
        'treatment', (SELECT t.code FROM treatment t WHERE t.id = a.treatment_id),
        'status', a.status,
        'starts_at', to_jsonb(a.starts_at),
        'ends_at', to_jsonb(a.ends_at),
        'hold_expires_at', to_jsonb(a.hold_expires_at),
        'notes', a.notes,
        'created_at', to_jsonb(a.created_at),
        'updated_at', to_jsonb(a.updated_at)
    )
$$;
