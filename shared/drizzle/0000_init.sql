CREATE TYPE "public"."database_engine" AS ENUM('postgres', 'mysql', 'sqlserver');--> statement-breakpoint
CREATE TYPE "public"."environment" AS ENUM('dev', 'staging', 'prod');--> statement-breakpoint
CREATE TYPE "public"."health_status" AS ENUM('unknown', 'healthy', 'unhealthy');--> statement-breakpoint
CREATE TYPE "public"."instance_role" AS ENUM('primary', 'replica');--> statement-breakpoint
CREATE TYPE "public"."ssl_mode" AS ENUM('disable', 'prefer', 'require', 'verify-full');--> statement-breakpoint
CREATE TYPE "public"."conflict_policy" AS ENUM('source_wins', 'sharepoint_wins', 'latest_wins', 'manual');--> statement-breakpoint
CREATE TYPE "public"."cursor_strategy" AS ENUM('updated_at', 'full_scan');--> statement-breakpoint
CREATE TYPE "public"."key_strategy" AS ENUM('pk', 'unique', 'composite');--> statement-breakpoint
CREATE TYPE "public"."mapping_direction" AS ENUM('push', 'ingress', 'both');--> statement-breakpoint
CREATE TYPE "public"."sync_direction" AS ENUM('push', 'ingress', 'both');--> statement-breakpoint
CREATE TYPE "public"."target_strategy" AS ENUM('single', 'conditional');--> statement-breakpoint
CREATE TYPE "public"."cursor_kind" AS ENUM('source_watermark', 'delta_token', 'full_scan');--> statement-breakpoint
CREATE TYPE "public"."ledger_event_kind" AS ENUM('create', 'update', 'move', 'delete', 'conflict', 'quarantine', 'adopt');--> statement-breakpoint
CREATE TYPE "public"."provenance" AS ENUM('push', 'ingress', 'adopted');--> statement-breakpoint
CREATE TYPE "public"."conflict_status" AS ENUM('open', 'resolved', 'dismissed');--> statement-breakpoint
CREATE TYPE "public"."run_kind" AS ENUM('push', 'ingress', 'provision', 'reshard', 'drift', 'failover', 'health');--> statement-breakpoint
CREATE TYPE "public"."run_status" AS ENUM('queued', 'running', 'succeeded', 'failed', 'cancelled');--> statement-breakpoint
CREATE TYPE "public"."api_role" AS ENUM('admin', 'operator', 'viewer');--> statement-breakpoint
CREATE TABLE "apps" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"owner_team" text NOT NULL,
	"description" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "apps_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "database_instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"database_id" uuid NOT NULL,
	"name" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"database_name" text NOT NULL,
	"username" text NOT NULL,
	"password_encrypted" text,
	"ssl_mode" "ssl_mode" DEFAULT 'prefer' NOT NULL,
	"role" "instance_role" NOT NULL,
	"priority" integer DEFAULT 100 NOT NULL,
	"status" "health_status" DEFAULT 'unknown' NOT NULL,
	"last_health_at" timestamp with time zone,
	"last_health_latency_ms" integer,
	"last_health_error" text,
	"server_version" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "database_instances_port_ck" CHECK ("database_instances"."port" between 1 and 65535)
);
--> statement-breakpoint
CREATE TABLE "databases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"engine" "database_engine" NOT NULL,
	"environment" "environment" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "schema_snapshots" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"server_version" text NOT NULL,
	"fingerprint" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sharepoint_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"tenant_id" text NOT NULL,
	"client_id" text NOT NULL,
	"client_secret_encrypted" text,
	"graph_base_url" text DEFAULT 'https://graph.microsoft.com/v1.0' NOT NULL,
	"authority_host" text DEFAULT 'https://login.microsoftonline.com' NOT NULL,
	"ca_certificate_pem" text,
	"ru_per_minute" integer DEFAULT 1250 NOT NULL,
	"status" "health_status" DEFAULT 'unknown' NOT NULL,
	"last_test_at" timestamp with time zone,
	"last_test_error" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sharepoint_connections_ru_ck" CHECK ("sharepoint_connections"."ru_per_minute" > 0)
);
--> statement-breakpoint
CREATE TABLE "field_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"source_column" text NOT NULL,
	"target_column" text NOT NULL,
	"target_type" text NOT NULL,
	"converter_options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"transforms" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"direction" "mapping_direction" DEFAULT 'both' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_definitions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"source_instance_id" uuid NOT NULL,
	"source_schema" text NOT NULL,
	"source_table" text NOT NULL,
	"key_strategy" "key_strategy" NOT NULL,
	"key_columns" text[] NOT NULL,
	"cursor_strategy" "cursor_strategy" NOT NULL,
	"cursor_column" text,
	"cursor_overlap_seconds" integer DEFAULT 5 NOT NULL,
	"direction" "sync_direction" DEFAULT 'push' NOT NULL,
	"conflict_policy" "conflict_policy" DEFAULT 'source_wins' NOT NULL,
	"target_strategy" "target_strategy" DEFAULT 'single' NOT NULL,
	"schedule_cron" text,
	"schedule_interval_seconds" integer,
	"batch_size" integer DEFAULT 500 NOT NULL,
	"enabled" boolean DEFAULT false NOT NULL,
	"source_snapshot_id" uuid,
	"lease_holder" text,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_definitions_cursor_column_ck" CHECK ("sync_definitions"."cursor_strategy" <> 'updated_at' or "sync_definitions"."cursor_column" is not null),
	CONSTRAINT "sync_definitions_key_columns_ck" CHECK (cardinality("sync_definitions"."key_columns") >= 1),
	CONSTRAINT "sync_definitions_batch_ck" CHECK ("sync_definitions"."batch_size" between 1 and 5000),
	CONSTRAINT "sync_definitions_interval_ck" CHECK ("sync_definitions"."schedule_interval_seconds" is null or "sync_definitions"."schedule_interval_seconds" >= 10)
);
--> statement-breakpoint
CREATE TABLE "sync_targets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"site_id" text NOT NULL,
	"list_id" text,
	"list_display_name" text NOT NULL,
	"routing_rule" jsonb,
	"priority" integer DEFAULT 100 NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"provisioned_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"definition_id" uuid NOT NULL,
	"run_id" uuid,
	"source_key" text NOT NULL,
	"kind" "ledger_event_kind" NOT NULL,
	"from_target_id" uuid,
	"to_target_id" uuid,
	"list_item_id" text,
	"detail" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_cursors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"kind" "cursor_kind" NOT NULL,
	"target_id" uuid,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_cursors_scope_uq" UNIQUE NULLS NOT DISTINCT("definition_id","kind","target_id")
);
--> statement-breakpoint
CREATE TABLE "sync_ledger" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"target_id" uuid,
	"list_item_id" text,
	"content_hash" text NOT NULL,
	"etag" text,
	"provenance" "provenance" NOT NULL,
	"source_version" text,
	"list_item_version" text,
	"last_pushed_at" timestamp with time zone,
	"last_ingested_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conflicts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"status" "conflict_status" DEFAULT 'open' NOT NULL,
	"source_value" jsonb,
	"list_value" jsonb,
	"resolution" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drift_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"run_id" uuid,
	"summary" jsonb NOT NULL,
	"findings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quarantine" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"reason" text NOT NULL,
	"detail" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"definition_id" uuid,
	"kind" "run_kind" NOT NULL,
	"workflow_id" text NOT NULL,
	"temporal_run_id" text,
	"status" "run_status" DEFAULT 'queued' NOT NULL,
	"trigger" text DEFAULT 'api' NOT NULL,
	"request_id" text,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"key_hash" text NOT NULL,
	"role" "api_role" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
ALTER TABLE "database_instances" ADD CONSTRAINT "database_instances_database_id_databases_id_fk" FOREIGN KEY ("database_id") REFERENCES "public"."databases"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "databases" ADD CONSTRAINT "databases_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "schema_snapshots" ADD CONSTRAINT "schema_snapshots_instance_id_database_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."database_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sharepoint_connections" ADD CONSTRAINT "sharepoint_connections_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "field_mappings" ADD CONSTRAINT "field_mappings_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_source_instance_id_database_instances_id_fk" FOREIGN KEY ("source_instance_id") REFERENCES "public"."database_instances"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_targets" ADD CONSTRAINT "sync_targets_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_targets" ADD CONSTRAINT "sync_targets_connection_id_sharepoint_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."sharepoint_connections"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_events" ADD CONSTRAINT "ledger_events_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_target_id_sync_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."sync_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_ledger" ADD CONSTRAINT "sync_ledger_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_ledger" ADD CONSTRAINT "sync_ledger_target_id_sync_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."sync_targets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conflicts" ADD CONSTRAINT "conflicts_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD CONSTRAINT "drift_reports_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drift_reports" ADD CONSTRAINT "drift_reports_run_id_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sync_runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quarantine" ADD CONSTRAINT "quarantine_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "database_instances_db_name_uq" ON "database_instances" USING btree ("database_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "database_instances_one_primary_uq" ON "database_instances" USING btree ("database_id") WHERE "database_instances"."role" = 'primary';--> statement-breakpoint
CREATE UNIQUE INDEX "databases_app_name_uq" ON "databases" USING btree ("app_id","name");--> statement-breakpoint
CREATE INDEX "schema_snapshots_instance_idx" ON "schema_snapshots" USING btree ("instance_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sharepoint_connections_app_name_uq" ON "sharepoint_connections" USING btree ("app_id","name");--> statement-breakpoint
CREATE INDEX "sharepoint_connections_tenant_idx" ON "sharepoint_connections" USING btree ("tenant_id","client_id");--> statement-breakpoint
CREATE UNIQUE INDEX "field_mappings_source_uq" ON "field_mappings" USING btree ("definition_id","source_column");--> statement-breakpoint
CREATE UNIQUE INDEX "field_mappings_target_uq" ON "field_mappings" USING btree ("definition_id","target_column");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_definitions_app_name_uq" ON "sync_definitions" USING btree ("app_id","name");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_targets_one_default_uq" ON "sync_targets" USING btree ("definition_id") WHERE "sync_targets"."is_default";--> statement-breakpoint
CREATE UNIQUE INDEX "sync_targets_list_uq" ON "sync_targets" USING btree ("definition_id","site_id","list_display_name");--> statement-breakpoint
CREATE INDEX "ledger_events_definition_time_idx" ON "ledger_events" USING btree ("definition_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_events_run_idx" ON "ledger_events" USING btree ("run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_ledger_definition_key_uq" ON "sync_ledger" USING btree ("definition_id","source_key");--> statement-breakpoint
CREATE INDEX "sync_ledger_target_item_idx" ON "sync_ledger" USING btree ("target_id","list_item_id");--> statement-breakpoint
CREATE INDEX "conflicts_definition_status_idx" ON "conflicts" USING btree ("definition_id","status");--> statement-breakpoint
CREATE INDEX "drift_reports_definition_idx" ON "drift_reports" USING btree ("definition_id","created_at");--> statement-breakpoint
CREATE INDEX "quarantine_definition_idx" ON "quarantine" USING btree ("definition_id","resolved_at");--> statement-breakpoint
CREATE UNIQUE INDEX "quarantine_open_uq" ON "quarantine" USING btree ("definition_id","source_key") WHERE "quarantine"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "sync_runs_definition_idx" ON "sync_runs" USING btree ("definition_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sync_runs_workflow_uq" ON "sync_runs" USING btree ("workflow_id");--> statement-breakpoint
CREATE INDEX "api_keys_prefix_idx" ON "api_keys" USING btree ("prefix");