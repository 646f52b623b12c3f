ALTER TABLE "sync_definitions" DROP COLUMN "schedule_cron";--> statement-breakpoint
ALTER TABLE "sync_definitions" DROP COLUMN "schedule_interval_seconds";