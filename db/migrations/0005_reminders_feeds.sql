-- Reminders and calendar feeds.
--
-- Reminders: one row per booked appointment, kept by a trigger on `appointment` (the only
-- place that moves or removes it, whatever path writes): booking arms it, a reschedule re-arms
-- it for the new start (a reminder already sent for the old time does not count), cancelling
-- (or any status that is not scheduled/confirmed) deletes it. The lead time is the web app's
-- setting, so the row stores the start it is for, not a due time. The scheduler claims due rows
-- with FOR UPDATE SKIP LOCKED, stamps `sent_at` and writes the `appointment.reminder` outbox
-- event in that one transaction: two instances or a restart never send twice.
-- `armed_at` (when this start was booked) lets the scheduler skip appointments booked inside
-- the lead window: the booking confirmation is their reminder.

CREATE TABLE appointment_reminder (
    appointment_id bigint PRIMARY KEY REFERENCES appointment (id) ON DELETE CASCADE,
    starts_at      timestamptz NOT NULL,
    armed_at       timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz,
    sent_by        text CHECK (length(sent_by) <= 200)
);
CREATE INDEX appointment_reminder_due ON appointment_reminder (starts_at) WHERE sent_at IS NULL;
-- The bot looks up "the appointment the patient was last reminded of".
CREATE INDEX appointment_reminder_sent ON appointment_reminder (sent_at) WHERE sent_at IS NOT NULL;

CREATE FUNCTION appointment_reminder_v1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('scheduled', 'confirmed') THEN
        INSERT INTO appointment_reminder AS r (appointment_id, starts_at)
        VALUES (NEW.id, NEW.starts_at)
        ON CONFLICT (appointment_id) DO UPDATE
            SET starts_at = EXCLUDED.starts_at, armed_at = now(), sent_at = NULL, sent_by = NULL
            WHERE r.starts_at IS DISTINCT FROM EXCLUDED.starts_at;
    ELSE
        DELETE FROM appointment_reminder WHERE appointment_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER appointment_reminder_sync
    AFTER INSERT OR UPDATE OF status, starts_at ON appointment
    FOR EACH ROW EXECUTE FUNCTION appointment_reminder_v1();

-- Calendar feeds (RFC 5545): SEQUENCE must grow whenever a subscriber should replace its copy.
ALTER TABLE appointment ADD COLUMN sequence integer NOT NULL DEFAULT 0;

CREATE FUNCTION appointment_sequence_v1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.starts_at, NEW.ends_at, NEW.dentist_id, NEW.treatment_id, NEW.status)
       IS DISTINCT FROM (OLD.starts_at, OLD.ends_at, OLD.dentist_id, OLD.treatment_id, OLD.status)
    THEN
        NEW.sequence := OLD.sequence + 1;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER appointment_sequence_bump
    BEFORE UPDATE ON appointment
    FOR EACH ROW EXECUTE FUNCTION appointment_sequence_v1();

-- One secret feed URL per dentist or patient. The URL's key is never stored: it is an HMAC of
-- (kind, owner, version) under a server-held key, so the database alone cannot produce a working
-- URL; rotating draws a new random version (the old URL stops working), revoking deletes the row.
CREATE TABLE calendar_feed (
    kind       text NOT NULL CHECK (kind IN ('dentist', 'patient')),
    owner_id   integer NOT NULL CHECK (owner_id > 0),
    version    text NOT NULL CHECK (length(version) BETWEEN 16 AND 64),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, owner_id)
);

-- Appointments booked before this migration get their reminder too (booked when created).
INSERT INTO appointment_reminder (appointment_id, starts_at, armed_at)
SELECT id, starts_at, created_at FROM appointment
WHERE status IN ('scheduled', 'confirmed') AND starts_at > now();
