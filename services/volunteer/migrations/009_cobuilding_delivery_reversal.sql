-- Reversals (红字冲销) of co-building deliveries recorded wrongly: a red
-- entry naming the delivery it reverses and why. The delivery stays (what
-- was recorded is never rewritten); reversed, it counts towards no
-- commitment. One reversal per delivery (the key).
-- A new table only: the previous binary still counts a reversed delivery,
-- as it did before it was reversed.

CREATE TABLE cobuilding_delivery_reversal (
  delivery_serial bigint PRIMARY KEY REFERENCES cobuilding_delivery (serial),
  reason          text NOT NULL CHECK (btrim(reason) <> ''),
  reversed_by     text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL DEFAULT now()
);
