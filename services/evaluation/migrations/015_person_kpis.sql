-- What a person is measured on, as data (issue 19, 窗口服务人员管理).
--
-- A person's facts are counted in code from what evaluation knows of each
-- case, rework, visit and zone (evaluation_people.c); this catalogue names
-- them. A person's KPIs are definitions over those facts, every version
-- kept, as the units' KPIs are over the units' facts: the appraisal office
-- reads and changes them (PersonKpiList, PersonKpiDefine), and StaffFigures
-- carries each current KPI's value. The four seeded here are the figures
-- StaffFigures named before (on_time_rate, satisfaction,
-- average_handling_hours, contact_rate), which still read the current
-- definitions of their codes, with the same values as before.
CREATE TABLE person_fact (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
  name        text NOT NULL,
  description text NOT NULL DEFAULT ''
);

INSERT INTO person_fact (code, name, description) VALUES
  ('cases_registered', '登记件数', '本人作为首问登记的诉求件数（按受理月份）'),
  ('cases_handled', '办结件数', '由本人作出最后答复并已结案的件数（按结案月份）'),
  ('cases_handled_on_time', '按时办结件数', '其中在办理时限内答复的件数'),
  ('return_visits', '回访件数', '其中回访时作出评价的件数'),
  ('satisfaction_points', '回访评分合计', '这些回访评价（1-5分）的合计'),
  ('handling_hours', '办理时长合计', '这些件从受理到答复的小时数合计'),
  ('cases_reworked', '返工次数', '本人的答复被退回重办的次数（按退回月份）'),
  ('visits', '入户走访次数', '本人入户走访的次数'),
  ('zones_backlog', '网格积压件数', '本人负责网格内期末超期未办结的件数'),
  ('pairings_active', '网格结对户数', '本人负责网格内期末在帮的结对户数'),
  ('pairings_contacted', '已联系结对户数', '其中本期有联系记录的结对户数');

CREATE TABLE person_kpi (
  code        text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
  version     int NOT NULL CHECK (version > 0),
  name        text NOT NULL,
  numerator   text NOT NULL,
  denominator text NOT NULL DEFAULT '',
  factor      double precision NOT NULL DEFAULT 1,
  direction   smallint NOT NULL DEFAULT 1 CHECK (direction IN (1, 2)),
  unit_label  text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  retired     boolean NOT NULL DEFAULT false,
  defined_at  timestamptz NOT NULL DEFAULT now(),
  defined_by  text NOT NULL DEFAULT '',
  PRIMARY KEY (code, version)
);

INSERT INTO person_kpi (code, version, name, numerator, denominator, factor, direction, unit_label, description,
                        defined_by) VALUES
  ('on_time_rate', 1, '按时办结率', '#{cases_handled_on_time}', '#{cases_handled}', 100, 1, '%',
   '办结件中在时限内答复的比例', 'migration'),
  ('satisfaction', 1, '回访满意度', '#{satisfaction_points}', '#{return_visits}', 1, 1, '分',
   '办结件回访评价的平均分（1-5分）', 'migration'),
  ('average_handling_hours', 1, '平均办理时长', '#{handling_hours}', '#{cases_handled}', 1, 2, '小时',
   '每件办结件从受理到答复的平均小时数', 'migration'),
  ('contact_rate', 1, '结对联系率', '#{pairings_contacted}', '#{pairings_active}', 100, 1, '%',
   '负责网格内结对户本期已联系的比例', 'migration'),
  ('rework_rate', 1, '返工率', '#{cases_reworked}', '#{cases_handled}', 100, 2, '%',
   '每百件办结件被退回重办的次数', 'migration');
