CREATE TABLE `webhook_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `lease_token` text;--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `dedupe_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_dedupe_key_idx` ON `webhook_events` (`dedupe_key`);