ALTER TYPE "public"."cursor_strategy" ADD VALUE 'logical_replication';--> statement-breakpoint
CREATE TABLE "replication_slots" (
	"definition_id" uuid PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"slot_name" text NOT NULL,
	"publication_name" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"confirmed_lsn" text,
	"current_lsn" text,
	"lag_bytes" bigint,
	"retained_bytes" bigint,
	"alarm" text,
	"lost_count" integer DEFAULT 0 NOT NULL,
	"last_lost_at" timestamp with time zone,
	"last_lost_reason" text,
	"checked_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "replication_max_retained_mb" integer DEFAULT 1024 NOT NULL;--> statement-breakpoint
ALTER TABLE "replication_slots" ADD CONSTRAINT "replication_slots_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "replication_slots" ADD CONSTRAINT "replication_slots_instance_id_database_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."database_instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_replication_max_retained_ck" CHECK ("sync_definitions"."replication_max_retained_mb" between 16 and 1048576);