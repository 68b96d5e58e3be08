-- Leaders' contact points (服务联系点, 一线工作法) and departments' work in
-- their paired communities (帮建对子) as facts and KPIs, from grid's
-- contact_visit.recorded, contact_problem.updated, department_work.recorded
-- and pairing.created events. Like 010's, the KPIs are indicators outside
-- every scheme's weights until a scheme says so (SchemeDefine). Grid's
-- events already passed are not read again (the cursor stays): what was
-- recorded before this migration is not in these facts.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('contact_visits', 'Leaders'' contact point visits', false, 'grid',
   'district leaders'' visits to their contact points (一线工作法), in the point, by the day visited'),
  ('contact_problems_found', 'Problems found at contact points', false, 'grid',
   'problems recorded with those visits, in the point, by the day visited'),
  ('contact_problems_solved', 'Contact point problems solved', false, 'grid',
   'of them, those solved now, by the day they were'),
  ('contact_problems_to_case', 'Contact point problems become cases', false, 'grid',
   'of them, those handed to intake as a case now, by the day they were'),
  ('department_pairings', 'Department pairings (帮建对子)', true, 'grid',
   'departments paired with the community, from the day paired'),
  ('department_visits', 'Department visits to paired communities', false, 'grid',
   'visits by departments'' staff to the communities they are paired with, by the day visited'),
  ('department_problems_taken', 'Problems taken on by departments', false, 'grid',
   'problems departments took on for a paired community, by the day taken on'),
  ('department_resources_given', 'Resources given by departments', false, 'grid',
   'resources (people, money, premises, hours) departments gave a paired community, each record once, by the day given');

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('contact_problem_solved', 1, '联系点问题解决率 Contact point problems solved',
   '#{contact_problems_solved}', '#{contact_problems_found}', 100, 0, 0, 1, '%',
   'share of the problems found at leaders'' contact points that were solved on the spot', 'catalogue'),
  ('contact_problem_dealt', 1, '联系点问题处置率 Contact point problems dealt with',
   '#{contact_problems_solved} + #{contact_problems_to_case}', '#{contact_problems_found}', 100, 0, 0, 1, '%',
   'share of the problems found at leaders'' contact points that were solved or handed to intake as a case', 'catalogue'),
  ('department_visits_per_pairing', 1, '帮建部门结对走访次数 Department visits per pairing',
   '#{department_visits}', '#{department_pairings}', 1, 0, 0, 1, '次',
   'departments'' visits to their paired communities against the pairings (帮建对子) going on', 'catalogue');

-- A contact problem as evaluation last counted it: where, in which status,
-- closed when, at which of grid's versions.
CREATE TABLE contact_problem_state (
  source     text NOT NULL,
  id         text NOT NULL,
  point_code text COLLATE "C" NOT NULL,
  status     smallint NOT NULL,
  closed_ms  bigint NOT NULL,
  version    bigint NOT NULL,
  PRIMARY KEY (source, id)
);
