-- The 15-minute circle's offers that time out (docs/circle.md).
--
-- A service item dispatched to providers says how long an offer for its case
-- may wait for the provider's answer before the volunteer registry offers it
-- to the next candidate: a meal must be on its way within the quarter hour,
-- a repair or a cleaning can wait longer. The peers thread passes it with
-- the offer. 0 leaves it to the registry (the skill's time-out, else
-- SIFANG_VOLUNTEER_OFFER_TIMEOUT_MS), as before this migration.
ALTER TABLE service_item ADD COLUMN offer_timeout_ms bigint NOT NULL DEFAULT 0
  CHECK (offer_timeout_ms = 0 OR offer_timeout_ms BETWEEN 1000 AND 86400000);
UPDATE service_item SET offer_timeout_ms = CASE code
    WHEN 'elderly-meal-delivery' THEN 5 * 60000       -- 助餐: the meal is on its way within the quarter hour
    WHEN 'elderly-home-care' THEN 10 * 60000
    WHEN 'plumbing-electrical-repair' THEN 10 * 60000 -- a leak or a dark flat does not wait
    WHEN 'appliance-repair' THEN 20 * 60000
    WHEN 'housekeeping' THEN 30 * 60000
  END
 WHERE routing = 3 AND code IN ('elderly-meal-delivery', 'elderly-home-care', 'plumbing-electrical-repair',
                                'appliance-repair', 'housekeeping');

-- A dispatch's last offer not answered in time. Until now a time-out and a
-- refusal were both PROVIDER_DECLINED steps with the dispatch OFFERED to
-- the next one, told apart only by the note, and the notices said "the
-- provider answered" of both. The time-out's step sets it; the next offer,
-- an answer or a refusal clears it. Cases before this migration keep false:
-- their notes still say which steps were time-outs.
ALTER TABLE intake_case ADD COLUMN dispatch_timed_out boolean NOT NULL DEFAULT false;

-- The notice it gives: NoticeKind OFFER_TIMED_OUT (14, 服务方未答复), to the
-- assignee and first responder of a time-out that moved on; a refusal's stays
-- DISPATCH_ANSWERED, a return to the desk's DISPATCH_TIMED_OUT.
ALTER TABLE notice DROP CONSTRAINT notice_kind_check;
ALTER TABLE notice ADD CONSTRAINT notice_kind_check CHECK (kind BETWEEN 1 AND 14);
