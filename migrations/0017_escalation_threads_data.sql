-- Escalations become one per thread of repeats. Where a thread already has more than one open
-- escalation, the oldest stays open and holds the thread: it has run longest, its assignee has
-- had the issue longest, and its deadline and chain were set when the issue was first raised, so
-- keeping it moves no deadline and loses no acknowledgement made on it. Each other one is
-- resolved with outcome `merged`, pointing at the kept one (`merged_into_id`), its pending timer
-- made stale by moving it to the next step, with a `merged` event at that step and an audit
-- entry. Items, events, actions and notifications all stay.
WITH "open_by_thread" AS (
  SELECT e."id", e."state", e."organisation_id", coalesce(i."thread_id", i."id") AS "thread_id",
         first_value(e."id") OVER (PARTITION BY coalesce(i."thread_id", i."id") ORDER BY e."created_at", e."id") AS "kept_id"
    FROM "escalations" e JOIN "items" i ON i."id" = e."item_id"
   WHERE e."state" <> 'resolved'
), "merged" AS (
  UPDATE "escalations" e
     SET "state" = 'resolved', "outcome" = 'merged', "merged_into_id" = o."kept_id", "resolved_at" = now(),
         "next_step_at" = NULL, "step" = e."step" + 1,
         "outcome_note" = 'Merged into the open escalation of the same issue raised earlier'
    FROM "open_by_thread" o
   WHERE e."id" = o."id" AND o."id" <> o."kept_id"
  RETURNING e."id", e."organisation_id", e."step", e."level", e."assignee_staff_id", o."state" AS "was", o."kept_id", o."thread_id"
), "events" AS (
  INSERT INTO "escalation_events" ("escalation_id", "type", "step", "level", "assignee_staff_id", "details")
  SELECT "id", 'merged', "step", "level", "assignee_staff_id",
         jsonb_build_object('mergedInto', "kept_id", 'threadId', "thread_id", 'state', jsonb_build_object('from', "was", 'to', 'resolved'))
    FROM "merged"
)
INSERT INTO "audit_events" ("organisation_id", "occurred_at", "actor_type", "actor_id", "actor_role", "entity_type", "entity_id", "action", "changes")
SELECT "organisation_id", now(), 'system', NULL, 'system', 'escalation', "id"::text, 'merged',
       jsonb_build_object('state', jsonb_build_object('from', "was", 'to', 'resolved'), 'outcome', 'merged', 'mergedInto', "kept_id", 'threadId', "thread_id")
  FROM "merged";--> statement-breakpoint
-- Every escalation names its thread; one open escalation per thread from now on.
UPDATE "escalations" e SET "thread_id" = coalesce(i."thread_id", i."id")
  FROM "items" i WHERE i."id" = e."item_id";
