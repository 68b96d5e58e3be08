-- Community affairs: resident councils, party members' discussion days and
-- five-party joint meetings, the parties present, and the matters they took
-- up, each followed as a case.
CREATE SEQUENCE meeting_id_seq;

CREATE TABLE community_meeting (
  id             bigint PRIMARY KEY DEFAULT nextval('meeting_id_seq'),
  kind           smallint NOT NULL CHECK (kind BETWEEN 1 AND 3),
  community_code text NOT NULL,
  held_on        date NOT NULL,
  title          text NOT NULL,
  attendee_party smallint[] NOT NULL,
  attendee_name  text[] NOT NULL,
  attendee_people int[] NOT NULL,
  recorded_by    text NOT NULL,
  recorded_at    timestamptz NOT NULL
);
CREATE INDEX community_meeting_community ON community_meeting (community_code, id);

CREATE TABLE meeting_matter (
  meeting_id  bigint NOT NULL REFERENCES community_meeting (id),
  position    int NOT NULL,
  description text NOT NULL,
  resolution  text NOT NULL,
  case_id     bigint NOT NULL,
  PRIMARY KEY (meeting_id, position)
);
