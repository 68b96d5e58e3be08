-- Which facts are counted in zones (网格) too (issue 19), so that zones can
-- be scored like with like (ZoneScorecardGet): a KPI has a zone's figure
-- only when every fact it names is counted where the household or the
-- case's zone is. Grid's households and residents, intake's cases (their
-- unit is the resident's zone), employment's people (their zone),
-- volunteer's pairings, contacts and household visits (the household) and
-- the surveys (the sampled household's zone) are; facts counted in the
-- community or above are not: volunteer hours (the credited community),
-- answers against the answering person's unit, stages against the tier
-- that held the case, the district's own work (funding, attendance,
-- co-building, contact points, departments' work). A fact added later is
-- not, until a migration says so.
ALTER TABLE fact ADD COLUMN in_zones boolean NOT NULL DEFAULT false;

UPDATE fact SET in_zones = true WHERE code IN (
  'households', 'residents', 'households_in_difficulty',
  'cases_received', 'cases_closed', 'cases_closed_on_time', 'cases_closed_by_first_responder',
  'cases_open', 'cases_backlog', 'return_visits', 'satisfaction_points',
  'cases_reworked', 'case_complaints', 'cases_reopened', 'deadlines_missed', 'missed_deadlines_followed_up',
  'people_placed', 'entrepreneurs_supported', 'difficulty_people', 'difficulty_employed',
  'help_pairings_active', 'households_paired', 'help_contacts', 'pairings_contacted', 'cadre_visits',
  'survey_sampled', 'survey_completed', 'survey_scored', 'survey_satisfaction_points');
