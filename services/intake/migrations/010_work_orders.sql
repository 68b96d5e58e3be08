-- The work-order rules of the 12345 hotlines and grid platforms (受理, 派单,
-- 签收, 办理, 退单, 延期, 审核, 回访, 办结), as the district's staff know them:
-- case types with their own limits, direct answers, per-stage deadlines with
-- lateness recorded against the holder at the time, send-backs and no-owner
-- cases, extensions, the review before the return visit, and co-handler
-- tasks. Only additions: a binary of the previous release keeps working on
-- this schema (its cases get the defaults: a help request, no stages).

-- Case types (诉求类型) and their limits, as data (CaseTypePut). An item's
-- own time limit wins; an item without one (time_limit 0) takes its case
-- type's. time_limit_unit: 1 working days, 2 hours.
CREATE TABLE case_type (
  type                   smallint PRIMARY KEY CHECK (type BETWEEN 1 AND 4),
  name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 20),
  time_limit             int NOT NULL CHECK (time_limit > 0),
  time_limit_unit        smallint NOT NULL CHECK (time_limit_unit IN (1, 2)),
  receipt_minutes        int NOT NULL CHECK (receipt_minutes BETWEEN 1 AND 2880),
  first_response_minutes int NOT NULL CHECK (first_response_minutes BETWEEN 1 AND 14400),
  review_required        boolean NOT NULL,
  version                bigint NOT NULL DEFAULT 1
);
-- The common practice of the provinces' 12345 rules: a consultation is
-- answered within a working day, a request for help within five, a
-- complaint within ten and a suggestion within fifteen; the case is signed
-- for within 30 working minutes of its assignment; the handler first
-- responds (contacts the resident) within two working hours (a complaint,
-- one; a suggestion, a working day). A complaint's answer is reviewed by the
-- unit before the return visit.
INSERT INTO case_type (type, name, time_limit, time_limit_unit, receipt_minutes, first_response_minutes,
                       review_required) VALUES
  (1, '咨询', 1, 1, 30, 120, false),
  (2, '求助', 5, 1, 30, 120, false),
  (3, '投诉', 10, 1, 30, 60, true),
  (4, '建议', 15, 1, 30, 480, false);

-- The working day's hours, in the district's time zone: working minutes
-- (the receipt and first-response deadlines) count only these hours of the
-- calendar's working days.
CREATE TABLE working_hours (
  only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  day_start time NOT NULL,
  day_end   time NOT NULL CHECK (day_end > day_start)
);
INSERT INTO working_hours (only_row, day_start, day_end) VALUES (true, '08:30', '17:30');

-- The moment n working minutes after `at`: counted within the working
-- hours of working days, in the district's zone (a moment outside them
-- starts at the next working hour). NULL past the calendar's end.
CREATE FUNCTION intake_working_minutes(at timestamptz, n int, tz text) RETURNS timestamptz
LANGUAGE plpgsql STABLE AS $$
DECLARE
  local_at timestamp := at AT TIME ZONE tz;
  on_day date := local_at::date;
  from_time time := local_at::time;
  left_minutes double precision := n;
  opens_at time;
  closes_at time;
  opens timestamp;
  closes timestamp;
  available double precision;
BEGIN
  SELECT h.day_start, h.day_end INTO opens_at, closes_at FROM working_hours h;
  LOOP
    IF on_day > date '2045-12-31' THEN
      RETURN NULL;
    END IF;
    IF EXISTS (SELECT 1 FROM working_day w WHERE w.day = on_day) THEN
      opens := on_day + greatest(from_time, opens_at);
      closes := on_day + closes_at;
      IF opens < closes THEN
        available := extract(epoch FROM closes - opens) / 60;
        IF available >= left_minutes THEN
          RETURN (opens + make_interval(secs => left_minutes * 60)) AT TIME ZONE tz;
        END IF;
        left_minutes := left_minutes - available;
      END IF;
    END IF;
    on_day := on_day + 1;
    from_time := time '00:00';
  END LOOP;
END
$$;

-- Items may leave their limit to the case type (0 = none of their own).
ALTER TABLE service_item DROP CONSTRAINT service_item_time_limit_check;
ALTER TABLE service_item DROP CONSTRAINT service_item_time_limit_unit_check;
ALTER TABLE service_item ADD CONSTRAINT service_item_time_limit_check
  CHECK ((time_limit = 0 AND time_limit_unit = 0) OR (time_limit > 0 AND time_limit_unit IN (1, 2)));
-- A question about policy or a service takes its case type's limit (a
-- consultation's day, a complaint's ten), not one of its own; most are
-- answered on the spot (直接答复).
INSERT INTO service_item (code, name, category, department_code, routing, time_limit, time_limit_unit,
                          description) VALUES
  ('policy-consultation', '政策咨询 Policy and service questions', 1, 'civil-affairs', 2, 0, 0,
   'Questions about a policy, a service or where to go; answered on the spot where the desk can.')
ON CONFLICT (code) DO NOTHING;
UPDATE ref_generation SET catalogue = catalogue + 1;

ALTER TABLE intake_case
  ADD COLUMN case_type smallint NOT NULL DEFAULT 2 CHECK (case_type BETWEEN 1 AND 4),
  ADD COLUMN direct_answer boolean NOT NULL DEFAULT false,
  -- Who must act after the latest step (CaseAssignee's kind, code, name;
  -- role: "assignee", "dispatcher", "reviewer", "approver", "co-handler",
  -- "decides the owner", "return visit").
  ADD COLUMN waiting_kind smallint NOT NULL DEFAULT 0,
  ADD COLUMN waiting_code text NOT NULL DEFAULT '',
  ADD COLUMN waiting_name text NOT NULL DEFAULT '',
  ADD COLUMN waiting_role text NOT NULL DEFAULT '',
  -- The present assignment (each new assignee is the next) and its stages.
  ADD COLUMN assignment int NOT NULL DEFAULT 0,
  ADD COLUMN assigned_at timestamptz,
  ADD COLUMN receipt_due_at timestamptz,
  ADD COLUMN signed_at timestamptz,
  ADD COLUMN first_response_due_at timestamptz,
  ADD COLUMN first_responded_at timestamptz,
  ADD COLUMN send_backs int NOT NULL DEFAULT 0,
  ADD COLUMN no_owner boolean NOT NULL DEFAULT false,
  -- The latest extension asked; state 0 none, 1 pending, 2 approved, 3 refused.
  ADD COLUMN extension_state smallint NOT NULL DEFAULT 0,
  ADD COLUMN extension_days int NOT NULL DEFAULT 0,
  ADD COLUMN extension_reason text NOT NULL DEFAULT '',
  ADD COLUMN extension_requested_by text NOT NULL DEFAULT '',
  ADD COLUMN extension_requested_at timestamptz,
  ADD COLUMN extension_approver text NOT NULL DEFAULT '',
  ADD COLUMN extension_decided_by text NOT NULL DEFAULT '',
  ADD COLUMN extension_decided_at timestamptz,
  ADD COLUMN extension_note text NOT NULL DEFAULT '',
  ADD COLUMN extensions_granted int NOT NULL DEFAULT 0,
  ADD COLUMN extension_days_granted int NOT NULL DEFAULT 0,
  -- The review of the reply; state 0 none, 1 pending, 2 approved, 3 refused.
  ADD COLUMN review_state smallint NOT NULL DEFAULT 0,
  ADD COLUMN review_resolved_by text NOT NULL DEFAULT '',
  ADD COLUMN reviewer_id text NOT NULL DEFAULT '',
  ADD COLUMN reviewer_name text NOT NULL DEFAULT '',
  ADD COLUMN reviewed_at timestamptz,
  ADD COLUMN review_note text NOT NULL DEFAULT '',
  ADD COLUMN review_refusals int NOT NULL DEFAULT 0,
  ADD COLUMN cohandler_tasks int NOT NULL DEFAULT 0,
  ADD COLUMN cohandler_tasks_open int NOT NULL DEFAULT 0;

-- Cases that were assigned before: their present assignment is the first,
-- counted from their last step (no stage deadline is made up for them).
UPDATE intake_case SET assignment = 1, assigned_at = last_at WHERE assignee_kind <> 0;

-- The open cases whose stages the sweep watches.
CREATE INDEX intake_case_open_receipt ON intake_case (receipt_due_at)
  WHERE status IN (3, 4) AND signed_at IS NULL;
CREATE INDEX intake_case_open_first_response ON intake_case (first_response_due_at)
  WHERE status IN (3, 4) AND first_responded_at IS NULL;
-- Direct answers, counted apart on the backlog board.
CREATE INDEX intake_case_direct ON intake_case (unit_code, received_at) WHERE direct_answer;

-- Lateness by stage, each against the holder of the case when the stage
-- fell due (not the one holding it at the end): one row per case, stage and
-- assignment, written by the sweep (an open stage past due) and by the step
-- that meets a stage late; the key keeps both idempotent. stage: 1 receipt,
-- 2 first response, 3 completion. holder_unit: the org unit answering for
-- the holder (a staff member's unit, the unit itself; '' for a department).
CREATE TABLE case_stage_late (
  case_id     bigint NOT NULL,
  stage       smallint NOT NULL CHECK (stage BETWEEN 1 AND 3),
  assignment  int NOT NULL,
  holder_kind smallint NOT NULL,
  holder_code text NOT NULL,
  holder_name text NOT NULL DEFAULT '',
  holder_unit text NOT NULL DEFAULT '',
  unit_code   text NOT NULL,            -- the case's unit, for lists under a subtree
  due_at      timestamptz NOT NULL,
  marked_at   timestamptz NOT NULL,
  PRIMARY KEY (case_id, stage, assignment)
);
CREATE INDEX case_stage_late_unit ON case_stage_late (unit_code, case_id);

-- The org unit answering for a holder (AssigneeKind): a staff member's unit
-- (grid's copy), a unit itself, '' for a department (its code names it).
CREATE FUNCTION intake_holder_unit(kind smallint, code text) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE kind WHEN 3 THEN coalesce(code, '')
                   WHEN 2 THEN coalesce((SELECT s.unit_code FROM ref_staff s WHERE s.id = code), '')
                   ELSE '' END
$$;

-- 协办: co-handling units' tasks on a case its assignee leads.
CREATE TABLE case_cohandler (
  case_id   bigint NOT NULL,
  seq       int NOT NULL,
  kind      smallint NOT NULL CHECK (kind IN (1, 3)),   -- AssigneeKind: department, unit
  code      text NOT NULL,
  name      text NOT NULL DEFAULT '',
  task      text NOT NULL,
  due_at    timestamptz NOT NULL,
  done      boolean NOT NULL DEFAULT false,
  reply     text NOT NULL DEFAULT '',
  added_by  text NOT NULL,
  added_at  timestamptz NOT NULL,
  done_by   text NOT NULL DEFAULT '',
  done_at   timestamptz,
  PRIMARY KEY (case_id, seq)
);
