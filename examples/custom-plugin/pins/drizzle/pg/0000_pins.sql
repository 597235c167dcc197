CREATE TABLE "pins" (
	"message_id" bigint PRIMARY KEY NOT NULL,
	"channel" text,
	"note" text NOT NULL,
	"pinned_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "pins_channel_idx" ON "pins" USING btree ("channel","message_id");