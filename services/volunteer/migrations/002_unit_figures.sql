-- The figures of Summary that are sums over rows, kept per unit by the
-- statements that write those rows, so that a Summary adds up at most a few
-- thousand unit rows of a subtree instead of reading the district's
-- volunteers (with their 360,000 residents for party membership), service
-- records and visits on every request: about 0.3 s a call at the demo's
-- scale, and every page of the workbench asks for it.
--
-- Statement triggers keep the rows, so every write, by a handler, a batch or
-- the follower of grid, changes the figures in its own transaction, and the
-- figures are exactly what counting the rows gives (vt_check_summary, at
-- the end of the registry, hours, pairing and dispatch tests, holds them to
-- that, unit by unit). A row is keyed by the first 14 characters of the
-- code the figure is filtered on (a volunteer's, team's,
-- service record's or co-building's community, a dispatch's zone, a visit's
-- or a household's code): codes are prefixes of their ancestors, so for any
-- prefix up to a zone's length a code lies in the prefix's subtree exactly
-- when that key does, and a subtree's figure is the sum of the rows over
-- the range of keys.
--
-- Not kept here: the active volunteers (approved hours within a window that
-- moves every day: counted per request from the window's records, which
-- the index below reads alone) and the pairings with their distinct members
-- and households (distinct counts do not add up over units; the active
-- pairings are a few thousand rows, read from their index alone).

CREATE TABLE unit_figures (
  code                     text COLLATE "C" PRIMARY KEY,
  volunteers               bigint NOT NULL DEFAULT 0,
  -- Volunteers whose status the rule decides (not suspended or withdrawn by
  -- hand): all of them are active when the rule asks for no hours.
  by_rule                  bigint NOT NULL DEFAULT 0,
  party_members            bigint NOT NULL DEFAULT 0,
  in_service               bigint NOT NULL DEFAULT 0,
  teams                    bigint NOT NULL DEFAULT 0,
  approved_hours           numeric NOT NULL DEFAULT 0,
  pending_hours            numeric NOT NULL DEFAULT 0,
  households_in_difficulty bigint NOT NULL DEFAULT 0,
  visits                   bigint NOT NULL DEFAULT 0,
  cobuildings              bigint NOT NULL DEFAULT 0,
  open_dispatches          bigint NOT NULL DEFAULT 0
);

-- What the rows of each table add to their units, as a SELECT over a set
-- of rows (%1$I: the table, or a statement's transition table) with a sign
-- (%2$s: 1 as the rows are now, -1 as they were), its columns those of
-- unit_figures in order. A volunteer's party membership is grid's, read from the
-- reference copy as it stands; a change of it in the copy moves the figure
-- of the volunteer's unit (ref_resident's triggers), so both stay right
-- whichever is written first.
CREATE FUNCTION unit_figures_counts() RETURNS TABLE (tab text, counts text) LANGUAGE sql IMMUTABLE AS $$ VALUES
  ('volunteer', 'SELECT left(t.community_code, 14) AS code, %2$s AS volunteers,'
                ' %2$s * (t.manual_status = 1)::int AS by_rule,'
                ' %2$s * COALESCE(r.party_member, false)::int AS party_members,'
                ' %2$s * t.in_service::int AS in_service, 0 AS teams, 0::numeric AS approved_hours,'
                ' 0::numeric AS pending_hours, 0 AS households_in_difficulty, 0 AS visits, 0 AS cobuildings,'
                ' 0 AS open_dispatches FROM %1$I t LEFT JOIN ref_resident r ON r.id = t.resident_id'),
  ('ref_resident', 'SELECT left(v.community_code, 14), 0, 0, %2$s * t.party_member::int, 0, 0, 0, 0, 0, 0, 0, 0'
                   ' FROM %1$I t JOIN volunteer v ON v.resident_id = t.id'),
  ('team', 'SELECT left(t.community_code, 14), 0, 0, 0, 0, %2$s * (t.disbanded_at IS NULL)::int, 0, 0, 0, 0, 0, 0'
           ' FROM %1$I t'),
  ('service_record', 'SELECT left(t.community_code, 14), 0, 0, 0, 0, 0,'
                     ' %2$s * CASE WHEN t.status = 2 THEN t.hours ELSE 0 END,'
                     ' %2$s * CASE WHEN t.status = 1 THEN t.hours ELSE 0 END, 0, 0, 0, 0 FROM %1$I t'),
  ('ref_household', 'SELECT left(t.code, 14), 0, 0, 0, 0, 0, 0, 0, %2$s * t.in_difficulty::int, 0, 0, 0 FROM %1$I t'),
  ('visit', 'SELECT left(t.household_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, %2$s, 0, 0 FROM %1$I t'),
  ('cobuilding', 'SELECT left(t.community_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, %2$s * t.active::int, 0 FROM %1$I t'),
  ('dispatch', 'SELECT left(t.zone_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, %2$s * (t.status IN (1, 2))::int'
               ' FROM %1$I t')
$$;

-- Adds what the rows of changes (a UNION of the SELECTs above) add to their
-- units: one upsert, the units in order (writers lock their rows in the
-- same order), none for a write that moved no figure (a volunteer's skills
-- changed, a contact recorded).
CREATE FUNCTION unit_figures_upsert() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT text
  'INSERT INTO unit_figures AS f'
  ' SELECT code, sum(volunteers), sum(by_rule), sum(party_members), sum(in_service), sum(teams),'
  '  sum(approved_hours), sum(pending_hours), sum(households_in_difficulty), sum(visits), sum(cobuildings),'
  '  sum(open_dispatches)'
  ' FROM (%s) AS changes (code, volunteers, by_rule, party_members, in_service, teams, approved_hours,'
  '  pending_hours, households_in_difficulty, visits, cobuildings, open_dispatches)'
  ' GROUP BY code'
  ' HAVING sum(volunteers) <> 0 OR sum(by_rule) <> 0 OR sum(party_members) <> 0 OR sum(in_service) <> 0'
  '  OR sum(teams) <> 0 OR sum(approved_hours) <> 0 OR sum(pending_hours) <> 0'
  '  OR sum(households_in_difficulty) <> 0 OR sum(visits) <> 0 OR sum(cobuildings) <> 0'
  '  OR sum(open_dispatches) <> 0'
  ' ORDER BY code'
  ' ON CONFLICT (code) DO UPDATE SET'
  '  volunteers = f.volunteers + excluded.volunteers, by_rule = f.by_rule + excluded.by_rule,'
  '  party_members = f.party_members + excluded.party_members, in_service = f.in_service + excluded.in_service,'
  '  teams = f.teams + excluded.teams, approved_hours = f.approved_hours + excluded.approved_hours,'
  '  pending_hours = f.pending_hours + excluded.pending_hours,'
  '  households_in_difficulty = f.households_in_difficulty + excluded.households_in_difficulty,'
  '  visits = f.visits + excluded.visits, cobuildings = f.cobuildings + excluded.cobuildings,'
  '  open_dispatches = f.open_dispatches + excluded.open_dispatches'
$$;

-- Each table's triggers, a statement trigger an event, each with a function
-- of its own whose upsert is written out in it: PL/pgSQL keeps the plan of
-- such a statement for the session, where one calling an SQL function with
-- the rows would plan that function again on every write (measured: a
-- single-row insert took three times as long). A statement trigger has
-- only the transition tables of its event, and a statement naming one it
-- lacks is refused when planned: hence a function an event. Then the
-- figures of the rows already there, counted by the same SELECTs over the
-- tables.
DO $$
DECLARE
  source record;
  upsert text := unit_figures_upsert();
BEGIN
  FOR source IN SELECT * FROM unit_figures_counts() LOOP
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
  -- A volunteer's party membership is counted once, with the volunteer.
  EXECUTE format(upsert, (SELECT string_agg(format(counts, tab, 1), ' UNION ALL ')
                            FROM unit_figures_counts() WHERE tab <> 'ref_resident'));
END $$;

-- Only the migration makes statements of these.
DROP FUNCTION unit_figures_counts, unit_figures_upsert;

-- The active volunteers' window, read from the index alone: the approved
-- records of a window of days, with the volunteer and the hours.
CREATE INDEX service_record_approved ON service_record (served_on, community_code)
  INCLUDE (volunteer_serial, hours) WHERE status = 2;
-- The active pairings of a subtree with their members, from the index alone.
CREATE INDEX help_pairing_household_member ON help_pairing (household_code, member_resident_id) WHERE active;
