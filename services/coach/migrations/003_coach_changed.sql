-- Any insert, update or delete of a coach is announced at commit on one channel with the coach's id, to
-- every coach replica that listens: each drops that id from the records it keeps (services/coach/record_cache.py),
-- whichever replica or tool made the change.
CREATE FUNCTION coach_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('kataforge_coach_changed', OLD.id);
    ELSE
        PERFORM pg_notify('kataforge_coach_changed', NEW.id);
        IF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
            PERFORM pg_notify('kataforge_coach_changed', OLD.id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER coaches_notify AFTER INSERT OR UPDATE OR DELETE ON coaches
    FOR EACH ROW EXECUTE FUNCTION coach_changed();
