-- Each community station and street office names its head (负责人, kind 5:
-- who takes a case the deadline sweep escalates to the unit) and its
-- reviewer (审核人, kind 6: who checks and signs the unit's replies before
-- the return visit), one of each per unit at a time, as a zone has one
-- street cadre and one committee member.
ALTER TABLE responsibility DROP CONSTRAINT responsibility_kind_check;
ALTER TABLE responsibility ADD CONSTRAINT responsibility_kind_check CHECK (kind BETWEEN 1 AND 6);
DROP INDEX responsibility_one_per_zone;
CREATE UNIQUE INDEX responsibility_one_per_unit ON responsibility (unit_code, kind) WHERE kind IN (1, 2, 5, 6);
