-- Module product: its own tables (columns of Medusa 2.21's `product` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "product" (
    "id" text NOT NULL,
    "title" text NOT NULL,
    "handle" text NOT NULL,
    "subtitle" text NULL,
    "description" text NULL,
    "is_giftcard" boolean NOT NULL DEFAULT false,
    "status" text NOT NULL DEFAULT 'draft',
    "thumbnail" text NULL,
    "weight" real NULL,
    "origin_country" text NULL,
    "material" text NULL,
    "discountable" boolean NOT NULL DEFAULT true,
    "external_id" text NULL,
    "metadata" jsonb NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    CONSTRAINT "product_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_product_status" ON "product" ("status") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_product_deleted_at" ON "product" ("deleted_at");
