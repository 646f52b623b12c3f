ALTER TYPE "public"."run_status" ADD VALUE 'awaiting_approval';--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "delete_guard_max_items" integer DEFAULT 500;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "delete_guard_max_percent" integer DEFAULT 10;--> statement-breakpoint
ALTER TABLE "sync_ledger" ADD COLUMN "sweep_run_id" uuid;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "progress" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "hold" jsonb;--> statement-breakpoint
CREATE INDEX "sync_ledger_sweep_idx" ON "sync_ledger" USING btree ("definition_id","sweep_run_id","source_key") WHERE "sync_ledger"."sweep_run_id" is not null;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_delete_guard_ck" CHECK (("sync_definitions"."delete_guard_max_items" is null or "sync_definitions"."delete_guard_max_items" >= 0) and ("sync_definitions"."delete_guard_max_percent" is null or "sync_definitions"."delete_guard_max_percent" between 0 and 100));