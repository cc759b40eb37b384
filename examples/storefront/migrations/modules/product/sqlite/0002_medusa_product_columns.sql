-- Module product: the rest of Medusa 2.21's `product` columns, and its
-- collections and types (`product.collection`, `product.type`).
ALTER TABLE "product" ADD COLUMN "length" REAL NULL;
ALTER TABLE "product" ADD COLUMN "height" REAL NULL;
ALTER TABLE "product" ADD COLUMN "width" REAL NULL;
ALTER TABLE "product" ADD COLUMN "hs_code" TEXT NULL;
ALTER TABLE "product" ADD COLUMN "mid_code" TEXT NULL;
ALTER TABLE "product" ADD COLUMN "collection_id" TEXT NULL;
ALTER TABLE "product" ADD COLUMN "type_id" TEXT NULL;
CREATE TABLE IF NOT EXISTS "product_collection" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "external_id" TEXT NULL,
    CONSTRAINT "product_collection_pkey" PRIMARY KEY ("id")
);
CREATE TABLE IF NOT EXISTS "product_type" (
    "id" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "external_id" TEXT NULL,
    CONSTRAINT "product_type_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_product_collection_id" ON "product" ("collection_id") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_product_type_id" ON "product" ("type_id") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_collection_handle_unique" ON "product_collection" ("handle") WHERE "deleted_at" IS NULL;
CREATE UNIQUE INDEX IF NOT EXISTS "IDX_type_value_unique" ON "product_type" ("value") WHERE "deleted_at" IS NULL;
