-- 0041 disclosure: the party a dead letter belongs to, so a party's key
-- sees its own dead letters and no one else's (admin sees all).
--
-- Set at intake: the party the topic is bound to (ESTD_KAFKA_TOPIC_PARTIES),
-- else the party code the message itself names when it could be read that
-- far and is a known party; NULL otherwise (then only admin sees it).
ALTER TABLE dead_letters ADD COLUMN party_id bigint REFERENCES parties (id);
COMMENT ON COLUMN dead_letters.party_id IS
  'Party of the topic (bound) or named by the message; NULL = unknown (admin only).';
CREATE INDEX dead_letters_party_idx ON dead_letters (party_id, id);
