-- Module order: its own tables (columns of Medusa 2.21's `order` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "order" (
    "id" TEXT NOT NULL,
    "region_id" TEXT NULL,
    "display_id" INTEGER NULL,
    "customer_id" TEXT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "sales_channel_id" TEXT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "is_draft_order" BOOLEAN NOT NULL DEFAULT 0,
    "email" TEXT NULL,
    "currency_code" TEXT NOT NULL,
    "no_notification" BOOLEAN NULL,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "canceled_at" TEXT NULL,
    "locale" TEXT NULL,
    CONSTRAINT "order_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_order_sales_channel_id" ON "order" ("sales_channel_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_order_deleted_at" ON "order" ("deleted_at");
