-- The households, residents and households in difficulty of every zone,
-- kept by the statements that write them, so that Summary adds up at most
-- the 1,180 zone rows of a subtree instead of counting the district's
-- 139,000 households and 360,000 residents on every request (about 0.3 s at
-- the demo's scale, asked by every page of the workbench).
--
-- Statement triggers keep the rows: every write of a household or a
-- resident, whichever handler or batch makes it, changes its zone's row in
-- the same transaction, so the figures are exactly what counting the rows
-- would give (grid_integration_test holds them to that, zone by zone). A zone's
-- row is keyed by the first 14 characters of the codes it counts: codes are
-- prefixes of their ancestors, so for any prefix up to a zone's length a
-- code lies in the prefix's subtree exactly when its zone does, and a
-- subtree's figures are the sum of its zones' rows over the range of codes.

CREATE TABLE zone_figures (
  zone_code                text COLLATE "C" PRIMARY KEY,
  households               bigint NOT NULL DEFAULT 0,
  residents                bigint NOT NULL DEFAULT 0,
  households_in_difficulty bigint NOT NULL DEFAULT 0
);

-- What the changed rows add to their zones: each new row counts once, each
-- old row (deleted, or as it was before an update) once less. One upsert a
-- statement, the zones in order (two writers lock their rows in the same
-- order), and none for an update that moved no figure (an address
-- changed). A statement trigger has only the transition tables of its event,
-- and a query naming one it lacks is refused when planned: hence a branch
-- for each event.
CREATE FUNCTION zone_figures_add(changes zone_figures[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO zone_figures AS f (zone_code, households, residents, households_in_difficulty)
  SELECT zone_code, sum(households), sum(residents), sum(households_in_difficulty) FROM unnest(changes)
   GROUP BY zone_code
  HAVING sum(households) <> 0 OR sum(residents) <> 0 OR sum(households_in_difficulty) <> 0
   ORDER BY zone_code
  ON CONFLICT (zone_code) DO UPDATE
    SET households = f.households + excluded.households,
        residents = f.residents + excluded.residents,
        households_in_difficulty = f.households_in_difficulty + excluded.households_in_difficulty
$$;

CREATE FUNCTION zone_figures_of_households() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM zone_figures_add(array(
      SELECT ROW(left(code, 14), 1, 0, (cardinality(flags) > 0)::int)::zone_figures FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM zone_figures_add(array(
      SELECT ROW(left(code, 14), -1, 0, -(cardinality(flags) > 0)::int)::zone_figures FROM old_rows));
  ELSE
    PERFORM zone_figures_add(array(
      SELECT ROW(left(code, 14), 1, 0, (cardinality(flags) > 0)::int)::zone_figures FROM new_rows
      UNION ALL
      SELECT ROW(left(code, 14), -1, 0, -(cardinality(flags) > 0)::int)::zone_figures FROM old_rows));
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION zone_figures_of_residents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM zone_figures_add(array(SELECT ROW(left(household_code, 14), 0, 1, 0)::zone_figures FROM new_rows));
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM zone_figures_add(array(SELECT ROW(left(household_code, 14), 0, -1, 0)::zone_figures FROM old_rows));
  ELSE
    PERFORM zone_figures_add(array(
      SELECT ROW(left(household_code, 14), 0, 1, 0)::zone_figures FROM new_rows
      UNION ALL
      SELECT ROW(left(household_code, 14), 0, -1, 0)::zone_figures FROM old_rows));
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER household_figures_insert AFTER INSERT ON household
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_households();
CREATE TRIGGER household_figures_update AFTER UPDATE ON household
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_households();
CREATE TRIGGER household_figures_delete AFTER DELETE ON household
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_households();
CREATE TRIGGER resident_figures_insert AFTER INSERT ON resident
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_residents();
CREATE TRIGGER resident_figures_update AFTER UPDATE ON resident
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_residents();
CREATE TRIGGER resident_figures_delete AFTER DELETE ON resident
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION zone_figures_of_residents();

-- The figures of the rows already there.
INSERT INTO zone_figures (zone_code, households, residents, households_in_difficulty)
SELECT zone, sum(households), sum(residents), sum(in_difficulty)
  FROM (SELECT left(code, 14) AS zone, 1 AS households, 0 AS residents, (cardinality(flags) > 0)::int AS in_difficulty
          FROM household
        UNION ALL
        SELECT left(household_code, 14), 0, 1, 0 FROM resident) rows
 GROUP BY zone;
