CREATE TABLE "hub_meta" (
	"key" text PRIMARY KEY NOT NULL,
	"value" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_id_counter" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"last_id" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "message_id_counter_singleton" CHECK ("message_id_counter"."singleton")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigint PRIMARY KEY NOT NULL,
	"from_client" text,
	"to_client" text,
	"channel" text,
	"type" text NOT NULL,
	"payload" text NOT NULL,
	"created_at" bigint NOT NULL,
	"expires_at" bigint,
	"delivered_at" bigint,
	"delivered_by" text
);
--> statement-breakpoint
CREATE INDEX "messages_channel_id_idx" ON "messages" USING btree ("channel","id");--> statement-breakpoint
CREATE INDEX "messages_to_id_idx" ON "messages" USING btree ("to_client","id");--> statement-breakpoint
CREATE INDEX "messages_type_id_idx" ON "messages" USING btree ("type","id");--> statement-breakpoint
CREATE INDEX "messages_expires_at_idx" ON "messages" USING btree ("expires_at");