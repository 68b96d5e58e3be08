-- Offer time-outs per service item (docs/circle.md): intake's convenience
-- items each say how long an offer for their case may wait for an answer,
-- and DispatchOffer passes it. The dispatch keeps it, so that every offer
-- of it (the first, and each one to the next candidate after a refusal or a
-- time-out) is due after the item's time. 0: the skill's own offer_timeout_ms,
-- else SIFANG_VOLUNTEER_OFFER_TIMEOUT_MS, as every dispatch before this
-- migration was.
ALTER TABLE dispatch ADD COLUMN offer_timeout_ms bigint NOT NULL DEFAULT 0
  CHECK (offer_timeout_ms BETWEEN 0 AND 604800000);
