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

-- What the rows of household and resident add to their zones, as a SELECT
-- over a set of rows (%1$I: the table, or a statement's transition table)
-- with a sign (%2$s: 1 as the rows are now, -1 as they were), its columns
-- those of zone_figures in order; and the upsert that adds such rows (%s: a
-- UNION of them) to their zones: one a statement, the zones in order (two
-- writers lock their rows in the same order), none for a write that moved
-- no figure (an address changed).
CREATE FUNCTION zone_figures_counts() RETURNS TABLE (tab text, counts text) LANGUAGE sql IMMUTABLE AS $$ VALUES
  ('household', 'SELECT left(t.code, 14), %2$s, 0, %2$s * (cardinality(t.flags) > 0)::int FROM %1$I t'),
  ('resident', 'SELECT left(t.household_code, 14), 0, %2$s, 0 FROM %1$I t')
$$;
CREATE FUNCTION zone_figures_upsert() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT text
  'INSERT INTO zone_figures AS f (zone_code, households, residents, households_in_difficulty)'
  ' SELECT zone_code, sum(households), sum(residents), sum(households_in_difficulty)'
  ' FROM (%s) AS changes (zone_code, households, residents, households_in_difficulty)'
  ' GROUP BY zone_code'
  ' HAVING sum(households) <> 0 OR sum(residents) <> 0 OR sum(households_in_difficulty) <> 0'
  ' ORDER BY zone_code'
  ' ON CONFLICT (zone_code) DO UPDATE'
  '  SET households = f.households + excluded.households, residents = f.residents + excluded.residents,'
  '   households_in_difficulty = f.households_in_difficulty + excluded.households_in_difficulty'
$$;

-- Each table's triggers, a statement trigger an event, each with a function
-- of its own whose upsert is written out in it: PL/pgSQL keeps the plan of
-- such a statement for the session, where one calling an SQL function with
-- the rows would plan that function again on every write. A statement
-- trigger has only the transition tables of its event, and a statement
-- naming one it lacks is refused when planned: hence a function an event.
-- Then the figures of the rows already there, counted by the same SELECTs
-- over the tables.
DO $$
DECLARE
  source record;
  upsert text := zone_figures_upsert();
BEGIN
  FOR source IN SELECT * FROM zone_figures_counts() LOOP
    EXECUTE format('CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN %s; RETURN NULL; END $f$',
                   source.tab || '_figures_insert', format(upsert, format(source.counts, 'new_rows', 1)));
    EXECUTE format('CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN %s; RETURN NULL; END $f$',
                   source.tab || '_figures_delete', format(upsert, format(source.counts, 'old_rows', -1)));
    EXECUTE format('CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN %s; RETURN NULL; END $f$',
                   source.tab || '_figures_update',
                   format(upsert, format(source.counts, 'new_rows', 1) || ' UNION ALL '
                                  || format(source.counts, 'old_rows', -1)));
    EXECUTE format('CREATE TRIGGER %1$I AFTER INSERT ON %2$I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %1$I()', source.tab || '_figures_insert', source.tab);
    EXECUTE format('CREATE TRIGGER %1$I AFTER DELETE ON %2$I REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %1$I()', source.tab || '_figures_delete', source.tab);
    EXECUTE format('CREATE TRIGGER %1$I AFTER UPDATE ON %2$I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION %1$I()', source.tab || '_figures_update', source.tab);
  END LOOP;
  EXECUTE format(upsert, (SELECT string_agg(format(counts, tab, 1), ' UNION ALL ') FROM zone_figures_counts()));
END $$;

-- Only the migration makes statements of these.
DROP FUNCTION zone_figures_counts, zone_figures_upsert;
