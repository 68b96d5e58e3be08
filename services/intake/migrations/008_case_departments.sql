-- Every department a case has been assigned to, now or before: a
-- department's staff keep reading a case their department handled after it
-- moved on to another handler (intake_case_readable), as a first responder
-- keeps reading the cases they registered. Kept by a trigger, so that every
-- statement that assigns (a station's submission, acceptance, assignment
-- by hand or by routing) records it without each repeating it. Cases
-- assigned before this migration know their present department only.
ALTER TABLE intake_case ADD COLUMN assigned_departments text[] NOT NULL DEFAULT '{}';
UPDATE intake_case SET assigned_departments = ARRAY[assignee_code]
 WHERE assignee_kind = 1 AND assignee_code IS NOT NULL;

CREATE FUNCTION intake_case_note_department() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT (NEW.assignee_code = ANY (NEW.assigned_departments)) THEN
    NEW.assigned_departments := NEW.assigned_departments || NEW.assignee_code;
  END IF;
  RETURN NEW;
END
$$;

-- assignee_kind 1: a department (sifang.v1.AssigneeKind).
CREATE TRIGGER intake_case_department
  BEFORE INSERT OR UPDATE OF assignee_kind, assignee_code ON intake_case
  FOR EACH ROW WHEN (NEW.assignee_kind = 1 AND NEW.assignee_code IS NOT NULL)
  EXECUTE FUNCTION intake_case_note_department();
