-- Module order: its own tables (columns of Medusa 2.21's `order` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "order" (
    "id" text NOT NULL,
    "region_id" text NULL,
    "display_id" integer NULL,
    "customer_id" text NULL,
    "version" integer NOT NULL DEFAULT 1,
    "sales_channel_id" text NULL,
    "status" text NOT NULL DEFAULT 'pending',
    "is_draft_order" boolean NOT NULL DEFAULT false,
    "email" text NULL,
    "currency_code" text NOT NULL,
    "no_notification" boolean NULL,
    "metadata" jsonb NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    "canceled_at" timestamptz NULL,
    "locale" text NULL,
    CONSTRAINT "order_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_order_sales_channel_id" ON "order" ("sales_channel_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_order_deleted_at" ON "order" ("deleted_at");
