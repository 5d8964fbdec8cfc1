-- Casework PostgreSQL schema, version 4: one open case per young person (R-17), held by the store.
--
-- The service checks a young person's cases before opening one, but two referrals decided at
-- the same moment both pass that check. This index makes the second case's row fail to
-- insert, inside the append's transaction, so nothing of that case is written; the store
-- answers AppendError::SecondOpenCase and the service refuses the referral with
-- OpenCaseExists. Finished stages are the ones StageName::is_finished names.
--
-- A database that already holds a young person with several open cases (written before this
-- version, by the race it closes) cannot take the index and the migration fails, naming the
-- young person: a worker must withdraw or close the extra cases with the previous version
-- first. Records linked as the same person (R-26) are separate young people here; for them
-- the service's check stands alone.
CREATE UNIQUE INDEX case_summaries_one_open_case
    ON case_summaries (young_person_id)
    WHERE stage NOT IN ('signposted', 'declined', 'withdrawn', 'closed');
