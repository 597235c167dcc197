CREATE UNLOGGED TABLE IF NOT EXISTS "relaykit_presence" (
	"channel" text NOT NULL,
	"node_id" text NOT NULL,
	"client_id" text NOT NULL,
	"data" text NOT NULL,
	"joined_at" bigint NOT NULL,
	CONSTRAINT "relaykit_presence_channel_node_id_client_id_pk" PRIMARY KEY("channel","node_id","client_id")
);
--> statement-breakpoint
CREATE UNLOGGED TABLE IF NOT EXISTS "relaykit_presence_channels" (
	"channel" text PRIMARY KEY NOT NULL,
	"entries" integer NOT NULL
);
--> statement-breakpoint
CREATE UNLOGGED TABLE IF NOT EXISTS "relaykit_presence_nodes" (
	"node_id" text PRIMARY KEY NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "relaykit_presence_node_idx" ON "relaykit_presence" USING btree ("node_id");--> statement-breakpoint
-- Edited by hand: UNLOGGED (drizzle-kit cannot say so) and IF NOT EXISTS, because nodes of earlier versions
-- created relaykit_presence and relaykit_presence_nodes on first use. Their entries get their channel counters here.
INSERT INTO "relaykit_presence_channels" ("channel", "entries")
SELECT "channel", count(*)::int FROM "relaykit_presence" GROUP BY "channel"
ON CONFLICT ("channel") DO NOTHING;
