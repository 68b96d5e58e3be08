-- The joint mechanisms' member units at their meetings (issue 19): each
-- member unit a meeting expected (五方联席会 in its community, 街道党建联席会议
-- in its street) and those that attended, from grid's
-- meeting_attendance.recorded (its member_units, grid migration 009), in
-- the community or street that held the meeting, by the day held. The KPI
-- is an indicator: no scheme weighs it until a scheme says so. Meetings
-- recorded before grid knew member units name none, so nothing is recounted.
INSERT INTO fact (code, name, stock, source_service, description) VALUES
  ('joint_units_expected', 'Member units expected at joint meetings', false, 'grid',
   'each member unit of a joint mechanism (五方联席会, 街道党建联席会议) expected at one of its meetings,'
   || ' in the community or street that held it, by the day held'),
  ('joint_units_attended', 'Member units attended at joint meetings', false, 'grid',
   'of them, those that attended (their representative or a substitute)');

INSERT INTO kpi (code, version, name, numerator, denominator, factor, time_aggregation,
                 unit_aggregation, direction, unit_label, description, defined_by) VALUES
  ('joint_unit_attendance', 1, '联席会议成员单位出席率 Joint meetings'' member unit attendance',
   '#{joint_units_attended}', '#{joint_units_expected}', 100, 0, 0, 1, '%',
   'share of the member units expected at the joint mechanisms'' meetings (五方联席会, 街道党建联席会议)'
   || ' that attended', 'catalogue');
