DROP INDEX `webhook_deliveries_due_idx`;--> statement-breakpoint
DROP INDEX `webhook_deliveries_finished_idx`;--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`next_attempt_at`) WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `webhook_deliveries_finished_idx` ON `webhook_deliveries` (`status`,`finished_at`) WHERE "webhook_deliveries"."finished_at" is not null;