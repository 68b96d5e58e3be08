-- Reversals (红字冲销) of community funding spending recorded wrongly: a red
-- entry naming the spending it reverses and why. The spending stays (what was
-- recorded is never rewritten); reversed, it counts in no balance, figure or
-- KPI fact. One reversal per spending (the key).
-- A new table only: the previous binary still counts a reversed spending,
-- which is as it was before it was reversed.

CREATE TABLE funding_reversal (
  spending_serial bigint PRIMARY KEY REFERENCES funding_spending (serial),
  reason          text NOT NULL CHECK (btrim(reason) <> ''),
  reversed_by     text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now()
);
