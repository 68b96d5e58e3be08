-- Case ids are taken one by one from case_id_seq inside the statement that
-- writes the cases (intake_submit.c), no longer a block of 1000 held in a
-- daemon's memory: a block outlived the transaction that took it, so after
-- a crash of the database, or beside a second replica, its ids could be
-- handed out again and collide with committed cases. The sequence goes on
-- past every id a block may have given out (its last nextval + 999) and
-- past every case written.
ALTER SEQUENCE case_id_seq INCREMENT BY 1;
SELECT setval('case_id_seq', greatest(s.last_value + 999, coalesce((SELECT max(id) FROM intake_case), 0)))
  FROM case_id_seq s WHERE s.is_called;
