-- A notification keeps what it announced (level, deadline), so its webhook event says the same
-- thing on every attempt, however far the escalation has moved on. Notifications made before
-- this take their escalation's level and deadline as they are now: the closest record there is.
ALTER TABLE "notifications" ADD COLUMN "level" smallint;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "due_at" timestamp with time zone;--> statement-breakpoint
UPDATE "notifications" n SET "level" = e."level", "due_at" = e."due_at" FROM "escalations" e WHERE e."id" = n."escalation_id";--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "level" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "notifications" ALTER COLUMN "due_at" SET NOT NULL;
