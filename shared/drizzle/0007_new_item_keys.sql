CREATE TYPE "public"."new_item_keys" AS ENUM('from_list', 'generate');--> statement-breakpoint
CREATE TABLE "key_reservations" (
	"definition_id" uuid NOT NULL,
	"target_id" uuid NOT NULL,
	"list_item_id" text NOT NULL,
	"source_key" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "key_reservations_definition_id_target_id_list_item_id_pk" PRIMARY KEY("definition_id","target_id","list_item_id")
);
--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "new_item_keys" "new_item_keys" DEFAULT 'from_list' NOT NULL;--> statement-breakpoint
ALTER TABLE "key_reservations" ADD CONSTRAINT "key_reservations_definition_id_sync_definitions_id_fk" FOREIGN KEY ("definition_id") REFERENCES "public"."sync_definitions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_reservations" ADD CONSTRAINT "key_reservations_target_id_sync_targets_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."sync_targets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "key_reservations_key_uq" ON "key_reservations" USING btree ("definition_id","source_key");