DROP INDEX "notifications_once_per_step";--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "thread_id" uuid;--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "raised_count" integer;--> statement-breakpoint
ALTER TABLE "escalations" ADD CONSTRAINT "escalations_merged_into_id_escalations_id_fk" FOREIGN KEY ("merged_into_id") REFERENCES "public"."escalations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "escalations_one_open_per_thread" ON "escalations" USING btree ("thread_id") WHERE "escalations"."state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "escalations_thread_idx" ON "escalations" USING btree ("thread_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_per_raising" ON "notifications" USING btree ("escalation_id","raised_count","recipient_staff_id") WHERE "notifications"."type" = 'raised_again';--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_once_per_step" ON "notifications" USING btree ("escalation_id","step","recipient_staff_id") WHERE "notifications"."action_id" IS NULL AND "notifications"."type" <> 'raised_again';