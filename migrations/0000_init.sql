CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"organisation_id" uuid,
	"staff_id" uuid,
	"ward_id" uuid,
	"label" text,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "api_tokens_binding_check" CHECK (("api_tokens"."kind" = 'platform_admin' AND "api_tokens"."organisation_id" IS NULL AND "api_tokens"."staff_id" IS NULL AND "api_tokens"."ward_id" IS NULL)
       OR ("api_tokens"."kind" = 'staff' AND "api_tokens"."organisation_id" IS NOT NULL AND "api_tokens"."staff_id" IS NOT NULL AND "api_tokens"."ward_id" IS NULL)
       OR ("api_tokens"."kind" = 'ward_device' AND "api_tokens"."organisation_id" IS NOT NULL AND "api_tokens"."ward_id" IS NOT NULL AND "api_tokens"."staff_id" IS NULL))
);
--> statement-breakpoint
CREATE TABLE "briefings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"ward_id" uuid NOT NULL,
	"date" date NOT NULL,
	"shift" text NOT NULL,
	"held" boolean NOT NULL,
	"not_held_reason" text,
	"facilitator" text,
	"attendance_nursing" smallint,
	"attendance_medical" smallint,
	"attendance_allied" smallint,
	"attendance_manager" smallint,
	"attendance_other" smallint,
	"duration_minutes" smallint,
	"recorded_by_token_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"token_id" uuid NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"state" text NOT NULL,
	"response_status" integer,
	"response_body" text,
	"response_content_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"locked_until" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_token_id_key_pk" PRIMARY KEY("token_id","key")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"ward_id" uuid NOT NULL,
	"briefing_id" uuid NOT NULL,
	"raised_on" date NOT NULL,
	"position" smallint NOT NULL,
	"kind" text NOT NULL,
	"category" text NOT NULL,
	"description" text NOT NULL,
	"consequence" smallint,
	"likelihood" smallint,
	"risk_score" smallint,
	"risk_band" text,
	"harm" text,
	"status" text NOT NULL,
	"resolved_at_briefing" boolean DEFAULT false NOT NULL,
	"action_taken" text,
	"needs_change" boolean,
	"resolution_note" text,
	"resolved_at" timestamp with time zone,
	"resolved_by_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "items_graded_check" CHECK ("items"."kind" = 'good_practice' OR ("items"."consequence" IS NOT NULL AND "items"."likelihood" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "organisations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"code" text NOT NULL,
	"band_thresholds" jsonb NOT NULL,
	"identifier_policy" text DEFAULT 'reject' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organisations_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "staff" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "staff_wards" (
	"staff_id" uuid NOT NULL,
	"ward_id" uuid NOT NULL,
	CONSTRAINT "staff_wards_staff_id_ward_id_pk" PRIMARY KEY("staff_id","ward_id")
);
--> statement-breakpoint
CREATE TABLE "wards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organisation_id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"site" text,
	"division" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_ward_id_wards_id_fk" FOREIGN KEY ("ward_id") REFERENCES "public"."wards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "briefings" ADD CONSTRAINT "briefings_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "briefings" ADD CONSTRAINT "briefings_ward_id_wards_id_fk" FOREIGN KEY ("ward_id") REFERENCES "public"."wards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "briefings" ADD CONSTRAINT "briefings_recorded_by_token_id_api_tokens_id_fk" FOREIGN KEY ("recorded_by_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_token_id_api_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_ward_id_wards_id_fk" FOREIGN KEY ("ward_id") REFERENCES "public"."wards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_briefing_id_briefings_id_fk" FOREIGN KEY ("briefing_id") REFERENCES "public"."briefings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "items" ADD CONSTRAINT "items_resolved_by_token_id_api_tokens_id_fk" FOREIGN KEY ("resolved_by_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff" ADD CONSTRAINT "staff_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_wards" ADD CONSTRAINT "staff_wards_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "public"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "staff_wards" ADD CONSTRAINT "staff_wards_ward_id_wards_id_fk" FOREIGN KEY ("ward_id") REFERENCES "public"."wards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "wards" ADD CONSTRAINT "wards_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_organisation_idx" ON "api_tokens" USING btree ("organisation_id");--> statement-breakpoint
CREATE UNIQUE INDEX "briefings_ward_date_shift_key" ON "briefings" USING btree ("ward_id","date","shift");--> statement-breakpoint
CREATE INDEX "briefings_organisation_date_idx" ON "briefings" USING btree ("organisation_id","date");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "items_briefing_idx" ON "items" USING btree ("briefing_id");--> statement-breakpoint
CREATE INDEX "items_ward_raised_idx" ON "items" USING btree ("ward_id","raised_on","id");--> statement-breakpoint
CREATE INDEX "items_organisation_raised_idx" ON "items" USING btree ("organisation_id","raised_on","id");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_organisation_email_key" ON "staff" USING btree ("organisation_id",lower("email"));--> statement-breakpoint
CREATE INDEX "staff_wards_ward_idx" ON "staff_wards" USING btree ("ward_id");--> statement-breakpoint
CREATE UNIQUE INDEX "wards_organisation_code_key" ON "wards" USING btree ("organisation_id","code");