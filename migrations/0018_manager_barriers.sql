ALTER TABLE "escalations" ADD COLUMN "stance_barriers" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "escalations" ADD COLUMN "stance_barrier_note" text;--> statement-breakpoint
ALTER TABLE "position_changes" ADD COLUMN "barriers" text[];--> statement-breakpoint
ALTER TABLE "position_changes" ADD COLUMN "barrier_note" text;