ALTER TABLE "audit_events" ALTER COLUMN "seq" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "prev_hash" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ALTER COLUMN "hash" DROP NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_events_unsealed_idx" ON "audit_events" USING btree ("organisation_id","id") WHERE "audit_events"."seq" is null;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_sealed_whole" CHECK (("audit_events"."seq" is null) = ("audit_events"."hash" is null) and ("audit_events"."hash" is null) = ("audit_events"."prev_hash" is null));--> statement-breakpoint
-- Still append-only: the one change allowed is sealing an unsealed event (setting its seq,
-- prev_hash and hash once), and nothing else about the event may change while it is sealed.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (NEW.id, NEW.organisation_id, NEW.occurred_at, NEW.actor_type, NEW.actor_id, NEW.actor_role,
          NEW.entity_type, NEW.entity_id, NEW.action, NEW.changes, NEW.request_id)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.organisation_id, OLD.occurred_at, OLD.actor_type, OLD.actor_id, OLD.actor_role,
          OLD.entity_type, OLD.entity_id, OLD.action, OLD.changes, OLD.request_id) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
