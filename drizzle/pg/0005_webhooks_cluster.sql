CREATE TABLE "webhook_meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD COLUMN "lease_token" text;--> statement-breakpoint
ALTER TABLE "webhook_events" ADD COLUMN "dedupe_key" text;--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_events_dedupe_key_idx" ON "webhook_events" USING btree ("dedupe_key");