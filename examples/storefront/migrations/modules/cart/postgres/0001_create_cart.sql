-- Module cart: its own tables (columns of Medusa 2.21's `cart` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "cart" (
    "id" text NOT NULL,
    "region_id" text NULL,
    "customer_id" text NULL,
    "sales_channel_id" text NULL,
    "email" text NULL,
    "currency_code" text NOT NULL,
    "metadata" jsonb NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    "completed_at" timestamptz NULL,
    "locale" text NULL,
    CONSTRAINT "cart_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_cart_sales_channel_id" ON "cart" ("sales_channel_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_cart_deleted_at" ON "cart" ("deleted_at");
