-- 0100_doc_notify.sql - change notifications for estd's document cache
-- (include/estd/store_doccache.h, docs/ARCHITECTURE.md "Document cache").
--
-- Every committed change of the rows a cached document is built from
-- NOTIFYs channel estd_doc with '<resource>:<id>'. PostgreSQL delivers a
-- transaction's notifications only if it commits, after it has committed,
-- and folds identical ones within a transaction. The document of
-- GET /v1/commitments/{id} is built from commitments, commitment_parties
-- and commitment_areas (COMMITMENT_JSON in src/store/commitments.c): a
-- change to any of them names the commitment.

CREATE FUNCTION estd_doc_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    r := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    PERFORM pg_notify('estd_doc', TG_ARGV[0] || ':' || (to_jsonb(r) ->> TG_ARGV[1]));
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[1]) IS DISTINCT FROM (to_jsonb(NEW) ->> TG_ARGV[1]) THEN
        PERFORM pg_notify('estd_doc', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
    END IF;
    RETURN NULL;
END $$;

COMMENT ON FUNCTION estd_doc_notify() IS
    'AFTER row trigger: NOTIFY estd_doc ''<TG_ARGV[0]>:<the row''s TG_ARGV[1] column>'' (both ids on a change of it).';

CREATE TRIGGER commitments_doc_notify AFTER INSERT OR UPDATE OR DELETE ON commitments
    FOR EACH ROW EXECUTE FUNCTION estd_doc_notify('commitment', 'id');
CREATE TRIGGER commitment_parties_doc_notify AFTER INSERT OR UPDATE OR DELETE ON commitment_parties
    FOR EACH ROW EXECUTE FUNCTION estd_doc_notify('commitment', 'commitment_id');
CREATE TRIGGER commitment_areas_doc_notify AFTER INSERT OR UPDATE OR DELETE ON commitment_areas
    FOR EACH ROW EXECUTE FUNCTION estd_doc_notify('commitment', 'commitment_id');
