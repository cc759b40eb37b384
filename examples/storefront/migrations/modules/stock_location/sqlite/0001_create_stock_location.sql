-- Module stock_location: its own tables (columns of Medusa 2.21's `stock_location` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "stock_location" (
    "id" TEXT NOT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "name" TEXT NOT NULL,
    "address_id" TEXT NULL,
    "metadata" TEXT NULL,
    CONSTRAINT "stock_location_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_stock_location_deleted_at" ON "stock_location" ("deleted_at");
