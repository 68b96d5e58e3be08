-- The district's own work (issue 19) as facts and KPIs: community funding
-- that reached residents (grid's funding.spent), part-time committee
-- members' attendance at meetings (grid's meeting_attendance.recorded) and
-- co-building commitments kept (volunteer's cobuilding.* events). The KPIs
-- are indicators: no scheme weighs them until a scheme says so
-- (SchemeDefine), so the scorecards of schemes already made are unchanged.
-- These events are new, so nothing is recounted.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('funding_spent_fen', 'Community funding spent (fen)', false, 'grid',
   'what communities spent from their budgets (社区经费), in fen, by the day spent'),
  ('funding_for_residents_fen', 'Community funding spent on residents (fen)', false, 'grid',
   'of it, what went to activities and services for residents, in fen, by the day spent'),
  ('part_time_seats_expected', 'Part-time committee seats expected at meetings', false, 'grid',
   'each part-time committee member expected at a meeting, in the community of their seat, by the day held'),
  ('part_time_seats_attended', 'Part-time committee seats attended', false, 'grid',
   'of them, those who attended'),
  ('cobuilding_commitments', 'Co-building commitments', true, 'volunteer',
   'the commitments of the co-buildings going on (结对共建), in their community'),
  ('cobuilding_commitments_kept', 'Co-building commitments kept', false, 'volunteer',
   'commitments whose year''s deliveries reached their quantity, counted on the day they did');

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('funding_to_residents', 1, '经费用于居民活动和服务比例 Funds reaching residents',
   '#{funding_for_residents_fen}', '#{funding_spent_fen}', 100, 0, 0, 1, '%',
   'share of community funding spent on activities and services for residents', 'catalogue'),
  ('part_time_attendance', 1, '兼职委员出席率 Part-time members'' attendance',
   '#{part_time_seats_attended}', '#{part_time_seats_expected}', 100, 0, 0, 1, '%',
   'share of part-time committee members expected at meetings who attended', 'catalogue'),
  ('cobuilding_kept', 1, '共建承诺兑现率 Co-building commitments kept',
   '#{cobuilding_commitments_kept}', '#{cobuilding_commitments}', 100, 0, 0, 1, '%',
   'commitments kept (the year''s deliveries reaching the quantity) against the commitments going on;'
   || ' meant for a year''s period, as commitments are yearly', 'catalogue');

-- What evaluation has counted of these sources, each once: a spending, an
-- attendance record, a delivery by its id.
CREATE TABLE counted_record (
  source_service text NOT NULL,
  source         text NOT NULL,
  id             text NOT NULL,
  PRIMARY KEY (source_service, source, id)
);

-- A co-building as evaluation last knew it: how many commitments it counts
-- where, and whether it is going on.
CREATE TABLE volunteer_cobuilding (
  source         text NOT NULL,
  id             text NOT NULL,
  community_code text COLLATE "C" NOT NULL,
  commitments    int NOT NULL,
  active         boolean NOT NULL,
  PRIMARY KEY (source, id)
);
