CREATE TYPE "public"."plan_status" AS ENUM('planned', 'approved', 'rejected', 'applied', 'failed');--> statement-breakpoint
CREATE TABLE "operation_plans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"run_id" uuid NOT NULL,
	"kind" "run_kind" NOT NULL,
	"report_id" uuid,
	"status" "plan_status" DEFAULT 'planned' NOT NULL,
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
ALTER TABLE "operation_plans" ADD CONSTRAINT "operation_plans_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operation_plans" ADD CONSTRAINT "operation_plans_run_id_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "operation_plans" ADD CONSTRAINT "operation_plans_report_id_drift_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."drift_reports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "operation_plans_run_uq" ON "operation_plans" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "operation_plans_definition_idx" ON "operation_plans" USING btree ("definition_id","created_at");