CREATE TABLE "ttl_archive" (
	"id" bigint PRIMARY KEY NOT NULL,
	"from_client" text,
	"to_client" text,
	"channel" text,
	"type" text NOT NULL,
	"payload" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint NOT NULL,
	"delivered_at" bigint,
	"delivered_by" text,
	"archived_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ttl_archive_type_id_idx" ON "ttl_archive" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "ttl_archive_archived_at_idx" ON "ttl_archive" USING btree ("archived_at");