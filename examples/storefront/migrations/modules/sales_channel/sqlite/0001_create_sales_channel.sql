-- Module sales_channel: its own tables (columns of Medusa 2.21's `sales_channel` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "sales_channel" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NULL,
    "is_disabled" BOOLEAN NOT NULL DEFAULT 0,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    CONSTRAINT "sales_channel_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_sales_channel_deleted_at" ON "sales_channel" ("deleted_at");
