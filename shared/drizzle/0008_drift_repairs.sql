CREATE TYPE "public"."drift_repair_status" AS ENUM('planned', 'approved', 'rejected', 'applied', 'failed');--> statement-breakpoint
CREATE TABLE "drift_repairs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"report_id" uuid,
	"status" "drift_repair_status" DEFAULT 'planned' NOT NULL,
	"summary" jsonb NOT NULL,
	"actions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"outcome" jsonb,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "drift_repair_auto_approve_max" integer;--> statement-breakpoint
ALTER TABLE "drift_repairs" ADD CONSTRAINT "drift_repairs_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_repairs" ADD CONSTRAINT "drift_repairs_run_id_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_repairs" ADD CONSTRAINT "drift_repairs_report_id_drift_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."drift_reports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "drift_repairs_run_uq" ON "drift_repairs" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "drift_repairs_definition_idx" ON "drift_repairs" USING btree ("definition_id","created_at");