CREATE TABLE "digest_sends" (
	"staff_id" uuid NOT NULL,
	"date" date NOT NULL,
	"organisation_id" uuid NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"sent_at" timestamp with time zone,
	"message_id" text,
	"escalations" integer,
	CONSTRAINT "digest_sends_staff_id_date_pk" PRIMARY KEY("staff_id","date")
);
--> statement-breakpoint
CREATE TABLE "staff_cover" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"manager_staff_id" uuid NOT NULL,
	"deputy_staff_id" uuid NOT NULL,
	"from_date" date NOT NULL,
	"to_date" date NOT NULL,
	"created_by_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "staff_cover_range_check" CHECK ("staff_cover"."from_date" <= "staff_cover"."to_date"),
	CONSTRAINT "staff_cover_not_self_check" CHECK ("staff_cover"."manager_staff_id" <> "staff_cover"."deputy_staff_id")
);
--> statement-breakpoint
DROP INDEX "notifications_once_per_step";--> statement-breakpoint
ALTER TABLE "escalation_actions" ADD COLUMN "reminded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "action_id" uuid;--> statement-breakpoint
ALTER TABLE "digest_sends" ADD CONSTRAINT "digest_sends_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "digest_sends" ADD CONSTRAINT "digest_sends_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_cover" ADD CONSTRAINT "staff_cover_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_cover" ADD CONSTRAINT "staff_cover_manager_staff_id_staff_id_fk" FOREIGN KEY ("manager_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_cover" ADD CONSTRAINT "staff_cover_deputy_staff_id_staff_id_fk" FOREIGN KEY ("deputy_staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_cover" ADD CONSTRAINT "staff_cover_created_by_token_id_api_tokens_id_fk" FOREIGN KEY ("created_by_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "staff_cover_manager_idx" ON "staff_cover" USING btree ("manager_staff_id","to_date");--> statement-breakpoint
CREATE INDEX "staff_cover_deputy_idx" ON "staff_cover" USING btree ("deputy_staff_id","to_date");--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_action_id_escalation_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."escalation_actions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "escalation_actions_unreminded_idx" ON "escalation_actions" USING btree ("due_date") WHERE "escalation_actions"."reminded_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_per_action" ON "notifications" USING btree ("action_id") WHERE "notifications"."action_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_per_step" ON "notifications" USING btree ("escalation_id","step","recipient_staff_id") WHERE "notifications"."action_id" IS NULL;