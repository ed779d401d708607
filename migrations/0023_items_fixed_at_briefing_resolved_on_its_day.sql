-- An item fixed at the briefing was resolved when the briefing was held. Until now it was stamped
-- with the time the briefing was recorded, so a briefing typed in days later left its fixed items
-- open in the reports of the days in between. Such items now resolve no later than the end of the
-- briefing's day in the trust's calendar (UK time); items recorded on the day keep their time.
UPDATE "items" AS i
SET "resolved_at" = ((b."date" + 1)::timestamp AT TIME ZONE 'Europe/London')
FROM "briefings" AS b
WHERE i."briefing_id" = b."id"
  AND i."resolved_at_briefing"
  AND i."resolved_at" > ((b."date" + 1)::timestamp AT TIME ZONE 'Europe/London');
