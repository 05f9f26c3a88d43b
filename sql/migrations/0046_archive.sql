-- 0046 a system of record loses nothing to one request: DELETE archives.
--
-- DELETE /v1/{areas,area-focuses,commitments}/{id} (If-Match required) sets
-- archived_at instead of removing the row; lists leave archived rows out
-- unless ?archived=true; POST .../{id}/restore (If-Match) clears it. Both are
-- audited ('archive', 'restore'). A commitment of a signed agreement can
-- never be removed, not even by SQL: the trigger below refuses it.
ALTER TABLE areas ADD COLUMN archived_at timestamptz;
ALTER TABLE area_focuses ADD COLUMN archived_at timestamptz;
ALTER TABLE commitments ADD COLUMN archived_at timestamptz;
COMMENT ON COLUMN areas.archived_at IS 'Set when archived (DELETE); NULL = active. Restorable.';
COMMENT ON COLUMN area_focuses.archived_at IS 'Set when archived (DELETE); NULL = active. Restorable.';
COMMENT ON COLUMN commitments.archived_at IS 'Set when archived (DELETE); NULL = active. Restorable.';

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'delete', 'ingest', 'resubmit', 'archive', 'restore', 'retention'));

CREATE FUNCTION est_commitment_keep_signed() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM agreements a WHERE a.id = OLD.agreement_id AND a.signed_on IS NOT NULL) THEN
    RAISE EXCEPTION 'commitment % belongs to a signed agreement: archive it, never delete it', OLD.id
      USING ERRCODE = 'restrict_violation', CONSTRAINT = 'commitments_signed_keep';
  END IF;
  RETURN OLD;
END
$$;
CREATE TRIGGER commitments_signed_keep BEFORE DELETE ON commitments
  FOR EACH ROW EXECUTE FUNCTION est_commitment_keep_signed();
