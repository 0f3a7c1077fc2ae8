-- Transactional outbox: every change to appointments/holds/availability/handoffs writes one
-- sync_event row in the same transaction and NOTIFYs its id (payload is the id only).
--
-- Ordering: an advisory transaction lock taken before the id is drawn serialises outbox writers
-- from that point to commit, so ids become visible in commit order. A consumer reading
-- `WHERE id > last_seen` therefore never skips a row that commits later with a smaller id.

CREATE TABLE sync_event (
    id          bigserial PRIMARY KEY,
    type        text NOT NULL,
    dentist_id  integer,
    patient_id  integer,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX sync_event_created ON sync_event (created_at);

CREATE FUNCTION sync_event_emit(p_type text, p_dentist integer, p_patient integer, p_data jsonb)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(7243002);
    INSERT INTO sync_event (type, dentist_id, patient_id, data)
    VALUES (p_type, p_dentist, p_patient, p_data)
    RETURNING id INTO new_id;
    PERFORM pg_notify('sync_events', new_id::text);
    RETURN new_id;
END
$$;

CREATE FUNCTION appointment_event_v1() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ev text;
    r appointment;
BEGIN
    IF TG_OP = 'DELETE' THEN
        r := OLD;
        ev := CASE WHEN OLD.status = 'held' THEN 'hold.released' ELSE 'appointment.deleted' END;
    ELSIF TG_OP = 'INSERT' THEN
        r := NEW;
        ev := CASE WHEN NEW.status = 'held' THEN 'hold.created' ELSE 'appointment.created' END;
    ELSE
        r := NEW;
        ev := CASE
            WHEN OLD.status = 'held' AND NEW.status IN ('cancelled', 'expired') THEN 'hold.released'
            WHEN OLD.status = 'held' AND NEW.status = 'held' THEN 'hold.created'
            WHEN OLD.status = 'held' THEN 'appointment.created'
            WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN 'appointment.cancelled'
            ELSE 'appointment.updated'
        END;
    END IF;
    PERFORM sync_event_emit(ev, r.dentist_id, r.patient_id, appointment_doc(r));
    RETURN NULL;
END
$$;

CREATE TRIGGER appointment_event_ins_del
    AFTER INSERT OR DELETE ON appointment
    FOR EACH ROW EXECUTE FUNCTION appointment_event_v1();
CREATE TRIGGER appointment_event_upd
    AFTER UPDATE ON appointment
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION appointment_event_v1();

CREATE FUNCTION availability_event_v1() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
    PERFORM sync_event_emit(
        'availability.updated', r.dentist_id, NULL,
        jsonb_build_object('source', TG_TABLE_NAME, 'op', lower(TG_OP), 'row', to_jsonb(r))
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER availability_rule_event
    AFTER INSERT OR UPDATE OR DELETE ON availability_rule
    FOR EACH ROW EXECUTE FUNCTION availability_event_v1();
CREATE TRIGGER availability_exception_event
    AFTER INSERT OR UPDATE OR DELETE ON availability_exception
    FOR EACH ROW EXECUTE FUNCTION availability_event_v1();

CREATE FUNCTION handoff_event_v1() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_event_emit(
        'handoff.requested', NULL, NEW.patient_id,
        jsonb_build_object('id', NEW.id, 'patient_id', NEW.patient_id, 'sender', NEW.sender,
                           'reason', NEW.reason, 'created_at', NEW.created_at)
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER handoff_request_event
    AFTER INSERT ON handoff_request
    FOR EACH ROW EXECUTE FUNCTION handoff_event_v1();
