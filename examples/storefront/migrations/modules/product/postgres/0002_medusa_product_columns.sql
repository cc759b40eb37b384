-- Module product: the rest of Medusa 2.21's `product` columns, and its
-- collections and types (`product.collection`, `product.type`).
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "length" real NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "height" real NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "width" real NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "hs_code" text NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "mid_code" text NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "collection_id" text NULL;
ALTER TABLE "product" ADD COLUMN IF NOT EXISTS "type_id" text NULL;
CREATE TABLE IF NOT EXISTS "product_collection" (
    "id" text NOT NULL,
    "title" text NOT NULL,
    "handle" text NOT NULL,
    "metadata" jsonb NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    "external_id" text NULL,
    CONSTRAINT "product_collection_pkey" PRIMARY KEY ("id")
);
CREATE TABLE IF NOT EXISTS "product_type" (
    "id" text NOT NULL,
    "value" text NOT NULL,
    "metadata" json NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    "external_id" text NULL,
    CONSTRAINT "product_type_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_product_collection_id" ON "product" ("collection_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_product_type_id" ON "product" ("type_id") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_collection_handle_unique" ON "product_collection" ("handle") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_type_value_unique" ON "product_type" ("value") WHERE "deleted_at" IS NULL;
