-- The working-day calendar: weekdays work and weekends rest, except the
-- exceptions (public holidays, and the adjusted working days that make up
-- for them). working_day numbers the working days in order so that a
-- deadline of n working days is two index lookups; it is rebuilt in the
-- transaction of every change to the exceptions.
CREATE TABLE calendar_exception (
  day     date PRIMARY KEY CHECK (day BETWEEN date '2020-01-01' AND date '2045-12-31'),
  working boolean NOT NULL,
  note    text NOT NULL DEFAULT ''
);

CREATE TABLE working_day (
  day     date PRIMARY KEY,
  ordinal int NOT NULL UNIQUE
);

CREATE FUNCTION working_days_rebuild() RETURNS void LANGUAGE sql AS $$
  DELETE FROM working_day;
  INSERT INTO working_day (day, ordinal)
  SELECT d, row_number() OVER (ORDER BY d)
    FROM (SELECT g::date AS d
            FROM generate_series(date '2020-01-01', date '2045-12-31', interval '1 day') AS g
            LEFT JOIN calendar_exception e ON e.day = g::date
           WHERE coalesce(e.working, extract(isodow FROM g) < 6)) AS w;
$$;

-- 国务院办公厅关于2026年部分节假日安排的通知 (State Council, 2025-11-04).
INSERT INTO calendar_exception (day, working, note) VALUES
  ('2026-01-01', false, '元旦 New Year''s Day'),
  ('2026-01-02', false, '元旦 New Year''s Day'),
  ('2026-01-03', false, '元旦 New Year''s Day'),
  ('2026-01-04', true,  '调休上班 adjusted working day'),
  ('2026-02-14', true,  '调休上班 adjusted working day'),
  ('2026-02-15', false, '春节 Spring Festival'),
  ('2026-02-16', false, '春节 Spring Festival'),
  ('2026-02-17', false, '春节 Spring Festival'),
  ('2026-02-18', false, '春节 Spring Festival'),
  ('2026-02-19', false, '春节 Spring Festival'),
  ('2026-02-20', false, '春节 Spring Festival'),
  ('2026-02-21', false, '春节 Spring Festival'),
  ('2026-02-22', false, '春节 Spring Festival'),
  ('2026-02-23', false, '春节 Spring Festival'),
  ('2026-02-28', true,  '调休上班 adjusted working day'),
  ('2026-04-04', false, '清明节 Qingming Festival'),
  ('2026-04-05', false, '清明节 Qingming Festival'),
  ('2026-04-06', false, '清明节 Qingming Festival'),
  ('2026-05-01', false, '劳动节 Labour Day'),
  ('2026-05-02', false, '劳动节 Labour Day'),
  ('2026-05-03', false, '劳动节 Labour Day'),
  ('2026-05-04', false, '劳动节 Labour Day'),
  ('2026-05-05', false, '劳动节 Labour Day'),
  ('2026-05-09', true,  '调休上班 adjusted working day'),
  ('2026-06-19', false, '端午节 Dragon Boat Festival'),
  ('2026-06-20', false, '端午节 Dragon Boat Festival'),
  ('2026-06-21', false, '端午节 Dragon Boat Festival'),
  ('2026-09-20', true,  '调休上班 adjusted working day'),
  ('2026-09-25', false, '中秋节 Mid-Autumn Festival'),
  ('2026-09-26', false, '中秋节 Mid-Autumn Festival'),
  ('2026-09-27', false, '中秋节 Mid-Autumn Festival'),
  ('2026-10-01', false, '国庆节 National Day'),
  ('2026-10-02', false, '国庆节 National Day'),
  ('2026-10-03', false, '国庆节 National Day'),
  ('2026-10-04', false, '国庆节 National Day'),
  ('2026-10-05', false, '国庆节 National Day'),
  ('2026-10-06', false, '国庆节 National Day'),
  ('2026-10-07', false, '国庆节 National Day'),
  ('2026-10-10', true,  '调休上班 adjusted working day');

SELECT working_days_rebuild();

-- When a case accepted at `at` is due: n clock hours later (unit 2), or by
-- the end of the nth working day after the day of acceptance (unit 1), in
-- the district's time zone. A case accepted on a rest day counts from the
-- working day before it, so its first day is the next working day. NULL past
-- the calendar's end. (CaseSubmit's batch statement inlines the same rule.)
CREATE FUNCTION intake_due(at timestamptz, n int, unit smallint, tz text) RETURNS timestamptz
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN unit = 2 THEN at + make_interval(hours => n)
         ELSE ((SELECT w.day FROM working_day w
                 WHERE w.ordinal = (SELECT b.ordinal FROM working_day b
                                     WHERE b.day <= (at AT TIME ZONE tz)::date
                                     ORDER BY b.day DESC LIMIT 1) + n)
               + 1)::timestamp AT TIME ZONE tz
         END
$$;
