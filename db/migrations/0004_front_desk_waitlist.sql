-- Front desk and waitlist.
--
-- 1. Appointment rows carry the patient's name (`patient_name`), so the admin and dentist
--    pages and every event show who, not "Patient #N". Patients only ever see their own rows.
-- 2. The waitlist: patients wait in line (created_at, id) for a treatment in a window, with one
--    dentist or any. When time frees up, the matcher places a hold for the first patient whose
--    wish fits and records a waitlist_offer; its INSERT writes `waitlist.offered` to the outbox.
--    The offer follows its hold (trigger below): confirmed → accepted, released → declined,
--    expired → expired, whatever path changed the hold.
--    Race safety lives here, not in the matcher: the exclusion constraint on appointment makes
--    two holds on one freed slot impossible; the partial unique index makes two open offers
--    for one patient impossible.

CREATE OR REPLACE FUNCTION appointment_doc(a appointment) RETURNS jsonb
LANGUAGE sql STABLE SET timezone TO 'UTC' AS $$
    SELECT jsonb_build_object(
        'id', a.id,
        'dentist_id', a.dentist_id,
        'patient_id', a.patient_id,
        'patient_name', (SELECT p.name FROM patient p WHERE p.id = a.patient_id),
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

CREATE TABLE waitlist_entry (
    id           bigserial PRIMARY KEY,
    patient_id   integer NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
    treatment_id integer NOT NULL REFERENCES treatment (id),
    dentist_id   integer REFERENCES dentist (id) ON DELETE CASCADE,  -- NULL = any dentist
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'booked', 'removed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (window_end > window_start),
    CHECK (window_end - window_start <= interval '366 days')
);
CREATE INDEX waitlist_entry_line ON waitlist_entry (created_at, id) WHERE status = 'waiting';
CREATE INDEX waitlist_entry_patient ON waitlist_entry (patient_id);

CREATE TABLE waitlist_offer (
    id             bigserial PRIMARY KEY,
    waitlist_id    bigint NOT NULL REFERENCES waitlist_entry (id) ON DELETE CASCADE,
    patient_id     integer NOT NULL REFERENCES patient (id) ON DELETE CASCADE,
    appointment_id bigint NOT NULL UNIQUE REFERENCES appointment (id) ON DELETE CASCADE,
    dentist_id     integer NOT NULL REFERENCES dentist (id) ON DELETE CASCADE,
    starts_at      timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'accepted', 'declined', 'expired')),
    expires_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- One patient never holds two offers at once, however many matchers run.
CREATE UNIQUE INDEX waitlist_offer_one_open_per_patient ON waitlist_offer (patient_id)
    WHERE status = 'open';
-- "Was this slot already offered to this entry?" (a declined or expired slot passes on).
CREATE INDEX waitlist_offer_entry_slot ON waitlist_offer (waitlist_id, dentist_id, starts_at);
CREATE INDEX waitlist_offer_open_expiry ON waitlist_offer (expires_at) WHERE status = 'open';

CREATE FUNCTION waitlist_offer_doc(o waitlist_offer) RETURNS jsonb
LANGUAGE sql STABLE SET timezone TO 'UTC' AS $$
    SELECT jsonb_build_object(
        'offer_id', o.id,
        'waitlist_id', o.waitlist_id,
        'patient_id', o.patient_id,
        'patient_name', (SELECT p.name FROM patient p WHERE p.id = o.patient_id),
        'appointment_id', o.appointment_id,
        'dentist_id', o.dentist_id,
        'treatment', (SELECT t.code FROM appointment a JOIN treatment t ON t.id = a.treatment_id
                      WHERE a.id = o.appointment_id),
        'starts_at', to_jsonb(o.starts_at),
        'ends_at', (SELECT to_jsonb(a.ends_at) FROM appointment a WHERE a.id = o.appointment_id),
        'expires_at', to_jsonb(o.expires_at),
        'status', o.status
    )
$$;

CREATE FUNCTION waitlist_offer_event_v1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_event_emit('waitlist.offered', NEW.dentist_id, NEW.patient_id,
                            waitlist_offer_doc(NEW));
    RETURN NULL;
END
$$;

CREATE TRIGGER waitlist_offer_event
    AFTER INSERT ON waitlist_offer
    FOR EACH ROW EXECUTE FUNCTION waitlist_offer_event_v1();

CREATE FUNCTION waitlist_offer_follow_hold_v1() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    outcome text := CASE
        WHEN NEW.status IN ('scheduled', 'confirmed') THEN 'accepted'
        WHEN NEW.status = 'expired' THEN 'expired'
        ELSE 'declined'
    END;
    entry bigint;
BEGIN
    UPDATE waitlist_offer SET status = outcome
    WHERE appointment_id = NEW.id AND status = 'open'
    RETURNING waitlist_id INTO entry;
    IF entry IS NOT NULL AND outcome = 'accepted' THEN
        UPDATE waitlist_entry SET status = 'booked' WHERE id = entry;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER waitlist_offer_follow_hold
    AFTER UPDATE OF status ON appointment
    FOR EACH ROW WHEN (OLD.status = 'held' AND NEW.status <> 'held')
    EXECUTE FUNCTION waitlist_offer_follow_hold_v1();
