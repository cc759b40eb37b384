-- Module product: its own tables (columns of Medusa 2.21's `product` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "product" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "subtitle" TEXT NULL,
    "description" TEXT NULL,
    "is_giftcard" BOOLEAN NOT NULL DEFAULT 0,
    "status" TEXT NOT NULL DEFAULT 'draft',
    "thumbnail" TEXT NULL,
    "weight" REAL NULL,
    "origin_country" TEXT NULL,
    "material" TEXT NULL,
    "discountable" BOOLEAN NOT NULL DEFAULT 1,
    "external_id" TEXT NULL,
    "metadata" TEXT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    CONSTRAINT "product_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_product_status" ON "product" ("status") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_product_deleted_at" ON "product" ("deleted_at");
