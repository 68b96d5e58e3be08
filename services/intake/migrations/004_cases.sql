-- Cases and their audit trail. status: 1 received, 2 accepted, 3 assigned,
-- 4 in progress (the open ones), 5 resolved, 6 closed, 7 rejected,
-- 8 transferred. A daemon takes case ids from case_id_seq a block of 1000
-- at a time (each nextval is a block's first id), so that a run of
-- submissions knows its ids, registration numbers and duplicates within
-- the run before the one INSERT that writes them all. Ids are unique and
-- rising per daemon; a restart leaves the rest of its block unused.
CREATE SEQUENCE case_id_seq INCREMENT BY 1000;

CREATE TABLE intake_case (
  id                   bigint PRIMARY KEY,
  registration_number  text,
  status               smallint NOT NULL CHECK (status BETWEEN 1 AND 8),
  channel              smallint NOT NULL CHECK (channel BETWEEN 1 AND 8),
  item_code            text NOT NULL,
  category             smallint NOT NULL,
  requester_kind       smallint NOT NULL CHECK (requester_kind BETWEEN 1 AND 3),
  household_code       text,
  requester            bytea NOT NULL,            -- sifang.v1.CaseRequester, as given
  unit_code            text NOT NULL,
  description          text NOT NULL,
  first_responder_id   text,
  first_responder_name text NOT NULL DEFAULT '',
  assignee_kind        smallint NOT NULL DEFAULT 0,
  assignee_code        text,
  assignee_name        text NOT NULL DEFAULT '',
  assignee_route       text NOT NULL DEFAULT '',
  received_at          timestamptz NOT NULL,
  accepted_at          timestamptz,
  due_at               timestamptz,
  resolved_at          timestamptz,
  closed_at            timestamptz,
  overdue              boolean NOT NULL DEFAULT false,
  escalation_level     smallint NOT NULL DEFAULT 0,
  escalated_to         text NOT NULL DEFAULT '',
  escalated_at         timestamptz,
  satisfaction         smallint CHECK (satisfaction BETWEEN 1 AND 5),
  resolution           text NOT NULL DEFAULT '',
  reject_reason        text NOT NULL DEFAULT '',
  transferred_to       text NOT NULL DEFAULT '',
  duplicate_of         bigint,
  meeting_id           bigint,
  dispatch_state       smallint NOT NULL DEFAULT 0,
  provider_kind        smallint NOT NULL DEFAULT 0,
  provider_id          text NOT NULL DEFAULT '',
  provider_name        text NOT NULL DEFAULT '',
  volunteer_dispatch_id text NOT NULL DEFAULT '',
  volunteer_version    bigint NOT NULL DEFAULT 0,
  dispatch_attempt     int NOT NULL DEFAULT 0,
  dispatch_requested_at timestamptz,
  dispatch_answered_at timestamptz,
  dispatch_note        text NOT NULL DEFAULT '',
  last_at              timestamptz NOT NULL,      -- time of the latest step (imports keep order)
  imported_at          timestamptz,               -- when a step of an earlier system's register was last loaded
  origin               text NOT NULL DEFAULT '',  -- principal and request id of the submission
  request_id           text NOT NULL DEFAULT '',
  version              int NOT NULL DEFAULT 1
);

-- The open cases by due time: the sweep, the overdue and due-soon lists.
CREATE INDEX intake_case_open_due ON intake_case (due_at) WHERE status <= 4;
-- Possible duplicates: the first open case of the same household and item.
-- id in the key gives "ORDER BY id LIMIT 1" its order here: without it the
-- planner, reckoning on an empty table's statistics, walks the primary key
-- in id order filtering every case, the whole table when there is none.
CREATE INDEX intake_case_open_household ON intake_case (household_code, item_code, id)
  WHERE status <= 4 AND household_code IS NOT NULL;
-- Lists and the backlog under an org unit, newest first.
CREATE INDEX intake_case_unit ON intake_case (unit_code, id);
-- The dispatcher's queue.
CREATE INDEX intake_case_dispatch ON intake_case (dispatch_state, id) WHERE dispatch_state IN (1, 7);

-- The audit trail: every step of every case, who, when and why.
CREATE TABLE case_history (
  case_id     bigint NOT NULL,
  seq         int NOT NULL,
  action      smallint NOT NULL,
  from_status smallint NOT NULL DEFAULT 0,
  to_status   smallint NOT NULL,
  actor_id    text NOT NULL,
  actor_name  text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL,
  note        text NOT NULL DEFAULT '',
  PRIMARY KEY (case_id, seq)
);
