CREATE TABLE `ttl_archive` (
	`id` integer PRIMARY KEY NOT NULL,
	`from_client` text,
	`to_client` text,
	`channel` text,
	`type` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`delivered_at` integer,
	`delivered_by` text,
	`archived_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ttl_archive_type_id_idx` ON `ttl_archive` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `ttl_archive_archived_at_idx` ON `ttl_archive` (`archived_at`);