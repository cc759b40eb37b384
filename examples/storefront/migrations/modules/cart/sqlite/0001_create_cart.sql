-- Module cart: its own tables (columns of Medusa 2.21's `cart` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "cart" (
    "id" TEXT NOT NULL,
    "region_id" TEXT NULL,
    "customer_id" TEXT NULL,
    "sales_channel_id" TEXT NULL,
    "email" TEXT NULL,
    "currency_code" TEXT NOT NULL,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "completed_at" TEXT NULL,
    "locale" TEXT NULL,
    CONSTRAINT "cart_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_cart_sales_channel_id" ON "cart" ("sales_channel_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_cart_deleted_at" ON "cart" ("deleted_at");
