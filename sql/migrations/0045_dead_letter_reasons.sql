-- 0045 dead-letter reasons of the admission policy (src/domain/admit.c):
-- unknown_source (the source registry, 0046), implausible_time and
-- personnummer (an identifier that carries a personal identity number; the
-- dead letter itself is redacted). The list is EST_EVENT_REASONS in
-- include/estd/event.h; tests/integration/test_openapi.py compares them.
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_reason_check;
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_reason_check CHECK (reason IN (
  'not_json', 'not_cloudevent', 'schema', 'unsupported_type', 'unknown_category', 'bad_coordinates',
  'oversized', 'party_mismatch', 'unknown_party', 'unknown_source', 'implausible_time', 'personnummer',
  'rejected_by_database'));
