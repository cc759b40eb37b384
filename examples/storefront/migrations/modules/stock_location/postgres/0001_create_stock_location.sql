-- Module stock_location: its own tables (columns of Medusa 2.21's `stock_location` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "stock_location" (
    "id" text NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    "name" text NOT NULL,
    "address_id" text NULL,
    "metadata" jsonb NULL,
    CONSTRAINT "stock_location_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_stock_location_deleted_at" ON "stock_location" ("deleted_at");
