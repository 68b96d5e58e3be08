-- What an import of many records costs the database, made smaller (measured
-- with bench/employment-import; see its README):
--
-- Room on each page for the updates a person's and a vacancy's rows take (a
-- placement sets the person's status and takes a position of its vacancy):
-- an update that finds room on its page is a heap-only (HOT) update, with no
-- new entry in any of the table's indexes. At 80% most did not.
ALTER TABLE person SET (fillfactor = 50);
ALTER TABLE vacancy SET (fillfactor = 50);

-- No statement looks placements up by vacancy.
DROP INDEX placement_vacancy;

-- The person of a placement is looked up by the service in the statement
-- before the insert, in the same transaction, and people are never deleted:
-- like the enterprise, vacancy and occupation of a placement, it needs no
-- trigger per row re-checking it (a fifth of a placement insert's time).
ALTER TABLE placement DROP CONSTRAINT placement_person_serial_fkey;
