CREATE TABLE "identity_providers" (
	"organisation_id" uuid PRIMARY KEY NOT NULL,
	"issuer" text NOT NULL,
	"audience" text NOT NULL,
	"claim" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" DROP CONSTRAINT "api_tokens_binding_check";--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "prefix" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "replaced_by_id" uuid;--> statement-breakpoint
ALTER TABLE "staff" ADD COLUMN "external_id" text;--> statement-breakpoint
ALTER TABLE "identity_providers" ADD CONSTRAINT "identity_providers_organisation_id_organisations_id_fk" FOREIGN KEY ("organisation_id") REFERENCES "public"."organisations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "identity_providers_issuer_audience_key" ON "identity_providers" USING btree ("issuer","audience");--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_identity_provider_staff_key" ON "api_tokens" USING btree ("staff_id") WHERE "api_tokens"."kind" = 'identity_provider';--> statement-breakpoint
CREATE UNIQUE INDEX "staff_organisation_external_id_key" ON "staff" USING btree ("organisation_id","external_id") WHERE "staff"."external_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_binding_check" CHECK (("api_tokens"."kind" = 'platform_admin' AND "api_tokens"."organisation_id" IS NULL AND "api_tokens"."staff_id" IS NULL AND "api_tokens"."ward_id" IS NULL)
       OR ("api_tokens"."kind" = 'staff' AND "api_tokens"."organisation_id" IS NOT NULL AND "api_tokens"."staff_id" IS NOT NULL AND "api_tokens"."ward_id" IS NULL)
       OR ("api_tokens"."kind" = 'ward_device' AND "api_tokens"."organisation_id" IS NOT NULL AND "api_tokens"."ward_id" IS NOT NULL AND "api_tokens"."staff_id" IS NULL)
       OR ("api_tokens"."kind" = 'identity_provider' AND "api_tokens"."organisation_id" IS NOT NULL AND "api_tokens"."staff_id" IS NOT NULL AND "api_tokens"."ward_id" IS NULL));