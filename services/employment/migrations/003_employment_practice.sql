-- The district's employment practice, whole: what began each status period,
-- separations with their reason, the follow-up visits after a placement and
-- after start-up support, incubation bases with their tenants, the disabled
-- person's certificate the category asks for, and vocational grades named as
-- the national scheme names them.

-- --- status periods labelled by the event that began them -----------------------
-- StatusEvent: 1 registration, 2 placement, 3 separation, 4 certification,
-- 5 start-up support, 6 a counsellor's update, 7 an import.
ALTER TABLE person
  ADD COLUMN status_event int NOT NULL DEFAULT 1 CHECK (status_event BETWEEN 1 AND 7),
  ADD COLUMN status_reason text NOT NULL DEFAULT 'registered',
  ADD COLUMN disability_certificate text NOT NULL DEFAULT '';
ALTER TABLE status_period ADD COLUMN event int NOT NULL DEFAULT 1 CHECK (event BETWEEN 1 AND 7);

-- Until now a closed period kept the reason of the change that ENDED it (the
-- first period "placement", the next one "placement 12 ended" ...), and the
-- current status none. Each period now keeps what BEGAN it: the reason one
-- period down the line, the first one its registration. The words written
-- until now tell the event.
CREATE FUNCTION pg_temp.event_of(reason text) RETURNS int LANGUAGE sql AS $$
  SELECT CASE
    WHEN reason IS NULL OR reason = 'registered' THEN 1
    WHEN reason LIKE 'placement % ended' OR reason = 'placement ended' THEN 3
    WHEN reason LIKE 'placement%' THEN 2
    WHEN reason = 'entrepreneurship support' THEN 5
    WHEN reason LIKE 'import%' THEN 7
    ELSE 6 END
$$;
UPDATE person p SET status_reason = l.reason, status_event = pg_temp.event_of(l.reason)
FROM (SELECT DISTINCT ON (person_serial) person_serial, reason FROM status_period
      ORDER BY person_serial, since DESC, recorded_at DESC) l
WHERE p.serial = l.person_serial;
WITH shifted AS (
  SELECT ctid AS row_id, lag(reason) OVER (PARTITION BY person_serial ORDER BY since, recorded_at) AS began
  FROM status_period)
UPDATE status_period sp SET reason = COALESCE(s.began, 'registered'), event = pg_temp.event_of(s.began)
FROM shifted s WHERE sp.ctid = s.row_id;

-- --- separations ---------------------------------------------------------------------
-- SeparationReason 1..6; NULL for a placement that ended without one (an
-- import's end date, or one ended before reasons were kept).
ALTER TABLE placement
  ADD COLUMN separation_reason int CHECK (separation_reason BETWEEN 1 AND 6),
  ADD COLUMN separation_note text NOT NULL DEFAULT '';
CREATE INDEX placement_ended ON placement (end_date) WHERE end_date IS NOT NULL;

-- --- follow-up visits (跟踪服务) ------------------------------------------------------
-- The schedule, in one place: a placement is visited one, three and six
-- months after it started (就业跟踪回访, to keep the person in work); start-up
-- support three, six and twelve months after the grant (创业跟踪服务, the
-- first year of the business). The service schedules a visit when the
-- placement or grant is recorded, unless it fell due more than a month
-- before that day (a late record of an old placement asks no visit long
-- past); a placement ending cancels its visits not yet due.
CREATE TABLE follow_up_step (
  kind   int NOT NULL CHECK (kind IN (1, 2)),   -- FollowUpKind: 1 placement, 2 start-up
  step   int NOT NULL CHECK (step > 0),
  months int NOT NULL CHECK (months > 0),
  PRIMARY KEY (kind, step)
);
INSERT INTO follow_up_step (kind, step, months) VALUES (1, 1, 1), (1, 2, 3), (1, 3, 6), (2, 1, 3), (2, 2, 6), (2, 3, 12);

-- Placements and supports are never deleted, and the service schedules a
-- visit from the row it has just written: no foreign keys to check per row
-- (an import writes thousands of placements a run).
CREATE TABLE follow_up (
  id             bigserial PRIMARY KEY,
  kind           int NOT NULL CHECK (kind IN (1, 2)),
  placement_id   bigint,
  support_id     bigint,
  person_serial  bigint NOT NULL,
  home_zone_code text NOT NULL,
  step           int NOT NULL,
  due_on         date NOT NULL,
  visited_on     date,
  outcome        int CHECK (outcome BETWEEN 1 AND 6),
  note           text NOT NULL DEFAULT '',
  visitor_id     text NOT NULL DEFAULT '',
  cancelled      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  version        bigint NOT NULL DEFAULT 1,
  CHECK ((kind = 1) = (placement_id IS NOT NULL) AND (kind = 2) = (support_id IS NOT NULL)),
  CHECK ((visited_on IS NULL) = (outcome IS NULL)),
  CHECK (NOT (cancelled AND visited_on IS NOT NULL)),
  UNIQUE (placement_id, step),
  UNIQUE (support_id, step)
);
CREATE INDEX follow_up_due ON follow_up (due_on, id);
CREATE INDEX follow_up_person ON follow_up (person_serial);

-- --- incubation bases (创业孵化基地) and their tenants ---------------------------------
CREATE TABLE incubation_base (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL UNIQUE,
  address       text NOT NULL DEFAULT '',
  zone_code     text NOT NULL,
  operator_name text NOT NULL DEFAULT '',
  capacity      int NOT NULL CHECK (capacity > 0),
  opened_on     date NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  version       bigint NOT NULL DEFAULT 1
);
CREATE INDEX incubation_base_zone ON incubation_base (zone_code);

CREATE TABLE incubation_tenant (
  id                   bigserial PRIMARY KEY,
  base_id              bigint NOT NULL REFERENCES incubation_base (id),
  business_name        text NOT NULL,
  business_credit_code text CHECK (business_credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  person_serial        bigint REFERENCES person (serial),
  support_id           bigint REFERENCES support (id),
  entered_on           date NOT NULL,
  left_on              date,
  left_reason          text NOT NULL DEFAULT '',
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  version              bigint NOT NULL DEFAULT 1,
  CHECK (left_on IS NULL OR left_on >= entered_on),
  CHECK ((left_on IS NULL) = (left_reason = ''))
);
CREATE INDEX incubation_tenant_base ON incubation_tenant (base_id, entered_on);

-- --- the rules of the difficulty categories ----------------------------------------
-- The zero-employment household's rule asks who else lives in the household.
CREATE INDEX ref_resident_household ON ref_resident (household_code);

-- --- vocational grades as the national scheme names them ----------------------------
-- 职业技能等级 as 国家职业技能标准编制技术规程（2018年版） names them: five
-- grades from 五级/初级工 at entry to 一级/高级技师 at the top. SkillGrade numbers them the other way (1 = entry), so a number alone
-- misleads: a passed exam's certificate was named "<occupation> 1级", which
-- reads as 一级, the top grade, for the entry one.
CREATE FUNCTION skill_grade_name(grade int) RETURNS text IMMUTABLE LANGUAGE sql AS $$
  SELECT CASE grade WHEN 1 THEN '五级/初级工' WHEN 2 THEN '四级/中级工' WHEN 3 THEN '三级/高级工'
    WHEN 4 THEN '二级/技师' WHEN 5 THEN '一级/高级技师' END
$$;
UPDATE person p SET certificates = (
  SELECT jsonb_agg(CASE WHEN o.name IS NOT NULL AND e.c->>'name' = o.name || ' ' || (e.c->>'grade') || '级'
                        THEN jsonb_set(e.c, '{name}', to_jsonb(o.name || ' ' || skill_grade_name((e.c->>'grade')::int)))
                        ELSE e.c END ORDER BY e.ord)
  FROM jsonb_array_elements(p.certificates) WITH ORDINALITY AS e(c, ord)
  LEFT JOIN exam_result x ON x.certificate_number = e.c->>'number' AND x.person_serial = p.serial
  LEFT JOIN occupation o ON o.code = x.occupation_code)
WHERE EXISTS (SELECT 1 FROM exam_result x WHERE x.person_serial = p.serial AND x.passed);
