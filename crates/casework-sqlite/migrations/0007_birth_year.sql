-- Casework SQLite schema, version 7: the young person's row keeps the year of birth, not the
-- date (R-8 at rest; casework_core::kernel::sealing, "Identifying details").
--
-- The date of birth is sealed with the young person's data key wherever a record holds it;
-- the row, which no query reads by date, keeps only the year. The duplicate check finds its
-- block by a blind index of the date, in the listings, never by this table.
ALTER TABLE young_people ADD COLUMN birth_year INTEGER NOT NULL DEFAULT 0;
UPDATE young_people SET
    birth_year = CAST(substr(date_of_birth, 1, 4) AS INTEGER),
    body = json_remove(
        json_set(body, '$.birth_year', CAST(substr(date_of_birth, 1, 4) AS INTEGER)),
        '$.date_of_birth');
DROP INDEX young_people_by_birth_and_district;
ALTER TABLE young_people DROP COLUMN date_of_birth;
CREATE INDEX young_people_by_birth_year_and_district
    ON young_people (birth_year, postcode_district);
