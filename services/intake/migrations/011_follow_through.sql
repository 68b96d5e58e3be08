-- The work-order rules that follow a case through (issue 18, "follow"):
-- the supervision ladder (催办 -> 督办 -> 提级督办), rework after an
-- unsatisfactory return visit or a complaint (零误差), the first
-- responder's follow-up (首问负责), the new meeting kinds, and each
-- person's inbox of notices. Columns are added with defaults, so a previous
-- binary still reading intake_case keeps working beside this one.
ALTER TABLE intake_case
  ADD COLUMN rework_count        int NOT NULL DEFAULT 0,
  ADD COLUMN complaint_count     int NOT NULL DEFAULT 0,
  ADD COLUMN handoff_count       int NOT NULL DEFAULT 0,   -- reassigned after the first assignment (转办)
  ADD COLUMN supervision_level   smallint NOT NULL DEFAULT 0 CHECK (supervision_level BETWEEN 0 AND 3),
  ADD COLUMN supervised_by       text NOT NULL DEFAULT '',
  ADD COLUMN referred_to         text NOT NULL DEFAULT '',
  ADD COLUMN reminded_at         timestamptz,
  -- The due time each automatic reminder was given for: the sweep reminds
  -- once before and once after each due time (a rework's new due time is
  -- reminded again), and never twice for the same one.
  ADD COLUMN reminded_before_due timestamptz,
  ADD COLUMN reminded_after_due  timestamptz,
  ADD COLUMN missed_at           timestamptz,              -- when it last missed a deadline
  ADD COLUMN followed_up_at      timestamptz,              -- the first responder's latest follow-up
  ADD COLUMN followed_up_in_time boolean NOT NULL DEFAULT false;

-- The sweep's reminder before the deadline looks among open cases by due
-- time (intake_case_open_due); the automatic referral up among open cases
-- handed off or reworked three times.
CREATE INDEX intake_case_open_referral ON intake_case (id)
  WHERE status <= 4 AND supervision_level < 3 AND (handoff_count >= 3 OR rework_count >= 3);

ALTER TABLE community_meeting DROP CONSTRAINT community_meeting_kind_check;
ALTER TABLE community_meeting ADD CONSTRAINT community_meeting_kind_check CHECK (kind BETWEEN 1 AND 6);

-- The inbox: a projection of the case's steps, written in the step's own
-- transaction (intake_notices.c), one row per recipient and step. topic
-- names what it is about ("case:<id>:<seq>", "calendar:<year>"), so that
-- the same step or warning never notifies a person twice.
CREATE TABLE notice (
  id                  bigserial PRIMARY KEY,
  recipient_id        text NOT NULL,
  kind                smallint NOT NULL CHECK (kind BETWEEN 1 AND 13),
  reason              text NOT NULL,
  topic               text NOT NULL,
  case_id             bigint,
  registration_number text NOT NULL DEFAULT '',
  case_seq            int NOT NULL DEFAULT 0,
  action              smallint NOT NULL DEFAULT 0,
  body                text NOT NULL,
  unit_code           text NOT NULL DEFAULT '',
  created_at          timestamptz NOT NULL DEFAULT now(),
  read_at             timestamptz,
  UNIQUE (recipient_id, topic, kind)
);
-- A person's inbox, unread first, newest first.
CREATE INDEX notice_inbox ON notice (recipient_id, (read_at IS NOT NULL), id DESC);
