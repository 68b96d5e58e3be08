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

-- Adds changes (a row each, signed) to their units: one upsert a statement,
-- the units in order (writers lock their rows in the same order), none for
-- a write that moved no figure.
CREATE FUNCTION unit_figures_add(changes unit_figures[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO unit_figures AS f
  SELECT code, sum(volunteers), sum(by_rule), sum(party_members), sum(in_service), sum(teams),
         sum(approved_hours), sum(pending_hours), sum(households_in_difficulty), sum(visits), sum(cobuildings),
         sum(open_dispatches)
    FROM unnest(changes) GROUP BY code
  HAVING sum(volunteers) <> 0 OR sum(by_rule) <> 0 OR sum(party_members) <> 0 OR sum(in_service) <> 0
      OR sum(teams) <> 0 OR sum(approved_hours) <> 0 OR sum(pending_hours) <> 0
      OR sum(households_in_difficulty) <> 0 OR sum(visits) <> 0 OR sum(cobuildings) <> 0
      OR sum(open_dispatches) <> 0
   ORDER BY code
  ON CONFLICT (code) DO UPDATE SET
    volunteers = f.volunteers + excluded.volunteers, by_rule = f.by_rule + excluded.by_rule,
    party_members = f.party_members + excluded.party_members, in_service = f.in_service + excluded.in_service,
    teams = f.teams + excluded.teams, approved_hours = f.approved_hours + excluded.approved_hours,
    pending_hours = f.pending_hours + excluded.pending_hours,
    households_in_difficulty = f.households_in_difficulty + excluded.households_in_difficulty,
    visits = f.visits + excluded.visits, cobuildings = f.cobuildings + excluded.cobuildings,
    open_dispatches = f.open_dispatches + excluded.open_dispatches
$$;

-- What one row of each table adds to its unit (sign 1 as it is now, -1 as
-- it was). A volunteer's party membership is grid's, read from the
-- reference copy as it stands; a change of it in the copy moves the figure
-- of the volunteer's unit (ref_resident's trigger), so both stay right
-- whichever is written first.
CREATE FUNCTION unit_figures_of_volunteers(rows volunteer[], sign int) RETURNS unit_figures[]
LANGUAGE sql STABLE AS $$
  SELECT array_agg(ROW(left(v.community_code, 14), sign, sign * (v.manual_status = 1)::int,
                       sign * COALESCE(r.party_member, false)::int, sign * v.in_service::int,
                       0, 0, 0, 0, 0, 0, 0)::unit_figures)
    FROM unnest(rows) v LEFT JOIN ref_resident r ON r.id = v.resident_id
$$;
CREATE FUNCTION unit_figures_of_residents(rows ref_resident[], sign int) RETURNS unit_figures[]
LANGUAGE sql STABLE AS $$
  SELECT array_agg(ROW(left(v.community_code, 14), 0, 0, sign * r.party_member::int,
                       0, 0, 0, 0, 0, 0, 0, 0)::unit_figures)
    FROM unnest(rows) r JOIN volunteer v ON v.resident_id = r.id
$$;
CREATE FUNCTION unit_figures_of_teams(rows team[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(community_code, 14), 0, 0, 0, 0, sign * (disbanded_at IS NULL)::int,
                       0, 0, 0, 0, 0, 0)::unit_figures) FROM unnest(rows)
$$;
CREATE FUNCTION unit_figures_of_service_records(rows service_record[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(community_code, 14), 0, 0, 0, 0, 0,
                       sign * CASE WHEN status = 2 THEN hours ELSE 0 END,
                       sign * CASE WHEN status = 1 THEN hours ELSE 0 END, 0, 0, 0, 0)::unit_figures)
    FROM unnest(rows)
$$;
CREATE FUNCTION unit_figures_of_households(rows ref_household[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(code, 14), 0, 0, 0, 0, 0, 0, 0, sign * in_difficulty::int, 0, 0, 0)::unit_figures)
    FROM unnest(rows)
$$;
CREATE FUNCTION unit_figures_of_visits(rows visit[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(household_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, sign, 0, 0)::unit_figures)
    FROM unnest(rows)
$$;
CREATE FUNCTION unit_figures_of_cobuildings(rows cobuilding[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(community_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, sign * active::int, 0)::unit_figures)
    FROM unnest(rows)
$$;
CREATE FUNCTION unit_figures_of_dispatches(rows dispatch[], sign int) RETURNS unit_figures[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT array_agg(ROW(left(zone_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                       sign * (status IN (1, 2))::int)::unit_figures) FROM unnest(rows)
$$;

-- Each table's triggers, one an event (a statement trigger has only the
-- transition tables of its event, and a query naming one it lacks is
-- refused when planned: hence a function an event, made here from one text;
-- a transition table's rows are records, made the table's type for the
-- functions above).
DO $$
DECLARE
  source record;
  event record;
BEGIN
  FOR source IN SELECT * FROM (VALUES ('volunteer', 'unit_figures_of_volunteers'),
                                      ('ref_resident', 'unit_figures_of_residents'),
                                      ('team', 'unit_figures_of_teams'),
                                      ('service_record', 'unit_figures_of_service_records'),
                                      ('ref_household', 'unit_figures_of_households'),
                                      ('visit', 'unit_figures_of_visits'),
                                      ('cobuilding', 'unit_figures_of_cobuildings'),
                                      ('dispatch', 'unit_figures_of_dispatches')) s (tab, fn) LOOP
    FOR event IN SELECT * FROM (VALUES
        ('insert', 'NEW TABLE AS new_rows', '%1$I(array(SELECT ROW(t.*)::%3$I FROM new_rows t), 1)'),
        ('update', 'OLD TABLE AS old_rows NEW TABLE AS new_rows',
         '%1$I(array(SELECT ROW(t.*)::%3$I FROM new_rows t), 1) || %1$I(array(SELECT ROW(t.*)::%3$I FROM old_rows t), -1)'),
        ('delete', 'OLD TABLE AS old_rows', '%1$I(array(SELECT ROW(t.*)::%3$I FROM old_rows t), -1)')) e (name, tables, changes)
    LOOP
      EXECUTE format('CREATE FUNCTION %2$I() RETURNS trigger LANGUAGE plpgsql AS $f$'
                     ' BEGIN PERFORM unit_figures_add(' || event.changes || '); RETURN NULL; END $f$',
                     source.fn, source.tab || '_figures_' || event.name, source.tab);
      EXECUTE format('CREATE TRIGGER %1$I AFTER %2$s ON %3$I REFERENCING %4$s'
                     ' FOR EACH STATEMENT EXECUTE FUNCTION %1$I()',
                     source.tab || '_figures_' || event.name, upper(event.name), source.tab, event.tables);
    END LOOP;
  END LOOP;
END $$;

-- The figures of the rows already there, counted table by table as the
-- functions above count a row (grouped here rather than passed as one
-- array: at ten times the demo's district that array would be millions of
-- rows in memory).
INSERT INTO unit_figures
SELECT code, sum(volunteers), sum(by_rule), sum(party_members), sum(in_service), sum(teams),
       sum(approved_hours), sum(pending_hours), sum(households_in_difficulty), sum(visits), sum(cobuildings),
       sum(open_dispatches)
  FROM (SELECT left(v.community_code, 14) AS code, count(*) AS volunteers,
               count(*) FILTER (WHERE v.manual_status = 1) AS by_rule,
               count(*) FILTER (WHERE r.party_member) AS party_members,
               count(*) FILTER (WHERE v.in_service) AS in_service, 0 AS teams, 0 AS approved_hours,
               0 AS pending_hours, 0 AS households_in_difficulty, 0 AS visits, 0 AS cobuildings, 0 AS open_dispatches
          FROM volunteer v LEFT JOIN ref_resident r ON r.id = v.resident_id GROUP BY 1
        UNION ALL
        SELECT left(community_code, 14), 0, 0, 0, 0, count(*) FILTER (WHERE disbanded_at IS NULL), 0, 0, 0, 0, 0, 0
          FROM team GROUP BY 1
        UNION ALL
        SELECT left(community_code, 14), 0, 0, 0, 0, 0, COALESCE(sum(hours) FILTER (WHERE status = 2), 0),
               COALESCE(sum(hours) FILTER (WHERE status = 1), 0), 0, 0, 0, 0
          FROM service_record GROUP BY 1
        UNION ALL
        SELECT left(code, 14), 0, 0, 0, 0, 0, 0, 0, count(*) FILTER (WHERE in_difficulty), 0, 0, 0
          FROM ref_household GROUP BY 1
        UNION ALL
        SELECT left(household_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, count(*), 0, 0 FROM visit GROUP BY 1
        UNION ALL
        SELECT left(community_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*) FILTER (WHERE active), 0
          FROM cobuilding GROUP BY 1
        UNION ALL
        SELECT left(zone_code, 14), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, count(*) FILTER (WHERE status IN (1, 2))
          FROM dispatch GROUP BY 1) counted
 GROUP BY code;

-- The active volunteers' window, read from the index alone: the approved
-- records of a window of days, with the volunteer and the hours.
CREATE INDEX service_record_approved ON service_record (served_on, community_code)
  INCLUDE (volunteer_serial, hours) WHERE status = 2;
-- The active pairings of a subtree with their members, from the index alone.
CREATE INDEX help_pairing_household_member ON help_pairing (household_code, member_resident_id) WHERE active;
