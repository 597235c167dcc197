-- The one row message ids are allocated from (see src/storage/postgres/ids.ts).
INSERT INTO "message_id_counter" ("singleton", "last_id") VALUES (true, 0) ON CONFLICT DO NOTHING;
