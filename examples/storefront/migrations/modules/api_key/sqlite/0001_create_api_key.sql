-- Module api_key: its own tables (columns of Medusa 2.21's `api_key` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "api_key" (
    "id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "salt" TEXT NOT NULL,
    "redacted" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "last_used_at" TEXT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "revoked_by" TEXT NULL,
    "revoked_at" TEXT NULL,
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_api_key_type" ON "api_key" ("type") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_api_key_deleted_at" ON "api_key" ("deleted_at");
