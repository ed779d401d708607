CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"organisation_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" uuid,
	"actor_role" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"action" text NOT NULL,
	"changes" jsonb NOT NULL,
	"request_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_priorities" (
	"item_id" uuid NOT NULL,
	"priority_id" uuid NOT NULL,
	"linked_by_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "item_priorities_item_id_priority_id_pk" PRIMARY KEY("item_id","priority_id")
);
--> statement-breakpoint
CREATE TABLE "position_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"organisation_id" uuid NOT NULL,
	"item_id" uuid NOT NULL,
	"side" text NOT NULL,
	"needs_change" boolean,
	"stance" text,
	"rationale" text,
	"alignment_after" text NOT NULL,
	"actor_staff_id" uuid,
	"actor_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "priorities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"level" text NOT NULL,
	"ward_id" uuid,
	"division" text,
	"owner_staff_id" uuid NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "clinical_rationale" text;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "clinical_position_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "managerial_stance" text;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "alignment" text DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "agreement_reached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "recurrence_of" uuid;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "recurrence_source" text;--> statement-breakpoint
ALTER TABLE "items" ADD COLUMN "thread_id" uuid;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_priorities" ADD CONSTRAINT "item_priorities_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_priorities" ADD CONSTRAINT "item_priorities_priority_id_priorities_id_fk" FOREIGN KEY ("priority_id") REFERENCES "public"."priorities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_priorities" ADD CONSTRAINT "item_priorities_linked_by_token_id_api_tokens_id_fk" FOREIGN KEY ("linked_by_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_changes" ADD CONSTRAINT "position_changes_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_changes" ADD CONSTRAINT "position_changes_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_changes" ADD CONSTRAINT "position_changes_actor_staff_id_staff_id_fk" FOREIGN KEY ("actor_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_changes" ADD CONSTRAINT "position_changes_actor_token_id_api_tokens_id_fk" FOREIGN KEY ("actor_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "priorities" ADD CONSTRAINT "priorities_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "priorities" ADD CONSTRAINT "priorities_ward_id_wards_id_fk" FOREIGN KEY ("ward_id") REFERENCES "public"."wards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "priorities" ADD CONSTRAINT "priorities_owner_staff_id_staff_id_fk" FOREIGN KEY ("owner_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_organisation_seq_key" ON "audit_events" USING btree ("organisation_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" USING btree ("entity_type","entity_id","id");--> statement-breakpoint
CREATE INDEX "item_priorities_priority_idx" ON "item_priorities" USING btree ("priority_id");--> statement-breakpoint
CREATE INDEX "position_changes_item_idx" ON "position_changes" USING btree ("item_id","id");--> statement-breakpoint
CREATE INDEX "priorities_organisation_idx" ON "priorities" USING btree ("organisation_id");--> statement-breakpoint
CREATE INDEX "items_thread_idx" ON "items" USING btree ("thread_id") WHERE "items"."thread_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "items_ward_open_category_idx" ON "items" USING btree ("ward_id","category","raised_on") WHERE "items"."status" = 'open';