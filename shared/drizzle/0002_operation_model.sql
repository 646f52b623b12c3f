ALTER TYPE "public"."run_kind" ADD VALUE 'drift_check';--> statement-breakpoint
ALTER TYPE "public"."run_kind" ADD VALUE 'drift_repair';--> statement-breakpoint
ALTER TYPE "public"."run_kind" ADD VALUE 'rebind';--> statement-breakpoint
ALTER TYPE "public"."run_kind" ADD VALUE 'ledger_rebuild';--> statement-breakpoint
CREATE TABLE "operation_schedules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"kind" "run_kind" NOT NULL,
	"cron" text,
	"interval_seconds" integer,
	"paused" boolean DEFAULT false NOT NULL,
	"note" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "operation_schedules_spec_ck" CHECK (("operation_schedules"."cron" is null) <> ("operation_schedules"."interval_seconds" is null)),
	CONSTRAINT "operation_schedules_interval_ck" CHECK ("operation_schedules"."interval_seconds" is null or "operation_schedules"."interval_seconds" >= 10)
);
--> statement-breakpoint
ALTER TABLE "sync_definitions" DROP CONSTRAINT "sync_definitions_interval_ck";--> statement-breakpoint
ALTER TABLE "sync_definitions" ALTER COLUMN "source_instance_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "database_id" uuid;--> statement-breakpoint
-- Existing definitions stay pinned to the instance they named; their database is that instance's.
UPDATE "sync_definitions" d SET "database_id" = i."database_id" FROM "database_instances" i WHERE i."id" = d."source_instance_id";--> statement-breakpoint
ALTER TABLE "sync_definitions" ALTER COLUMN "database_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "requested_by" text;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "instance_id" uuid;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "context" jsonb;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "options" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "operation_schedules" ADD CONSTRAINT "operation_schedules_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "operation_schedules_definition_kind_uq" ON "operation_schedules" USING btree ("definition_id","kind");--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_database_id_databases_id_fk" FOREIGN KEY ("database_id") REFERENCES "public"."databases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_instance_id_database_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."database_instances"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sync_runs_list_idx" ON "sync_runs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "sync_runs_active_idx" ON "sync_runs" USING btree ("definition_id","kind") WHERE "sync_runs"."status" not in ('succeeded', 'failed', 'cancelled');--> statement-breakpoint
-- Push schedules move from the definition to operation_schedules (a disabled definition still pauses them).
INSERT INTO "operation_schedules" ("definition_id", "kind", "cron", "interval_seconds", "paused")
  SELECT "id", 'push', "schedule_cron", CASE WHEN "schedule_cron" IS NULL THEN "schedule_interval_seconds" END, false
  FROM "sync_definitions" WHERE "schedule_cron" IS NOT NULL OR "schedule_interval_seconds" IS NOT NULL;