CREATE TABLE `hub_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`from_client` text,
	`to_client` text,
	`channel` text,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`delivered_at` integer,
	`delivered_by` text
);
--> statement-breakpoint
CREATE INDEX `messages_channel_id_idx` ON `messages` (`channel`,`id`);--> statement-breakpoint
CREATE INDEX `messages_to_id_idx` ON `messages` (`to_client`,`id`);--> statement-breakpoint
CREATE INDEX `messages_type_id_idx` ON `messages` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `messages_expires_at_idx` ON `messages` (`expires_at`);