CREATE TYPE "public"."ingress_delete_policy" AS ENUM('delete', 'soft_delete', 'ignore');--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "ingress_delete_policy" "ingress_delete_policy" DEFAULT 'delete' NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD COLUMN "soft_delete_column" text;--> statement-breakpoint
ALTER TABLE "sync_definitions" ADD CONSTRAINT "sync_definitions_soft_delete_ck" CHECK (("sync_definitions"."ingress_delete_policy" = 'soft_delete') = ("sync_definitions"."soft_delete_column" is not null));