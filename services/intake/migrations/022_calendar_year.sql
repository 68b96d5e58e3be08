-- Where each year's working-day calendar came from. A year's holidays are
-- fixed by the State Council's notice (国务院办公厅关于 YYYY 年部分节假日安排的
-- 通知), published around November of the year before; until then only the
-- statutory pattern (the holidays the law fixes, without the bridging days
-- off and the adjusted working weekends) can be loaded. The sweep's warning
-- of a coming year without its calendar keeps going until the notice is in:
-- a pattern is not the calendar. Written by CalendarSet when the whole year
-- is sent from an arrangement file (sifang-intake-calendar).
CREATE TABLE calendar_year (
  year       int PRIMARY KEY CHECK (year BETWEEN 2020 AND 2045),
  status     smallint NOT NULL CHECK (status IN (1, 2)),   -- 1 notice, 2 pattern (CalendarYearStatus)
  source     text NOT NULL DEFAULT '',
  loaded_at  timestamptz NOT NULL DEFAULT now()
);

-- Migration 002 wrote 2026 from the notice of 2025-11-04. Any later year
-- already holding exceptions was loaded from services/intake/calendar/,
-- which until now held only 2027's statutory pattern.
INSERT INTO calendar_year (year, status, source)
SELECT y, CASE WHEN y <= 2026 THEN 1 ELSE 2 END,
       CASE WHEN y = 2026 THEN '国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)'
            ELSE '全国年节及纪念日放假办法 (2024) — statutory days only' END
  FROM (SELECT DISTINCT extract(year FROM day)::int AS y FROM calendar_exception) AS years
 WHERE y >= 2026;
