-- Casework Postgres schema, version 7: the young person's row keeps the year of birth, not
-- the date (R-8 at rest; casework_core::kernel::sealing, "Identifying details").
--
-- The date of birth is sealed with the young person's data key wherever a record holds it;
-- the row, which no query reads by date, keeps only the year. The duplicate check finds its
-- block by a blind index of the date, in the listings, never by this table.
ALTER TABLE young_people ADD COLUMN birth_year integer;
UPDATE young_people SET
    birth_year = extract(year FROM date_of_birth)::integer,
    body = ((body::jsonb - 'date_of_birth')
        || jsonb_build_object('birth_year', extract(year FROM date_of_birth)::integer))::text;
ALTER TABLE young_people ALTER COLUMN birth_year SET NOT NULL;
ALTER TABLE young_people DROP COLUMN date_of_birth;
