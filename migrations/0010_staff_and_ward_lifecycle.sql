ALTER TABLE "staff" ADD COLUMN "deactivated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "staff" ADD COLUMN "deactivation_reason" text;--> statement-breakpoint
ALTER TABLE "wards" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "wards" ADD COLUMN "closure_reason" text;