CREATE TABLE `pins` (
	`message_id` integer PRIMARY KEY NOT NULL,
	`channel` text,
	`note` text NOT NULL,
	`pinned_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pins_channel_idx` ON `pins` (`channel`,`message_id`);