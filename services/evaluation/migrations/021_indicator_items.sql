-- A scheme may list a KPI as an indicator (指标, weight 0): shown with its
-- value and score for every unit, beside the weighted items, but outside
-- the composite, the flags and the sensitivity of the ranking. So the
-- district's own-work KPIs (issue 19: funds reaching residents, part-time
-- members' attendance, co-building kept, contact point problems solved and
-- dealt with, department visits per pairing; 007's rework figures) are in
-- 考核评估 before the appraisal office weighs them. A scheme still needs one
-- weighted item at least (SchemeDefine).
ALTER TABLE scheme_item DROP CONSTRAINT scheme_item_weight_check;
ALTER TABLE scheme_item ADD CONSTRAINT scheme_item_weight_check CHECK (weight >= 0);
