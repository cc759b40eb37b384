-- Module stock_location: its addresses (`stock_location.address`).
CREATE TABLE IF NOT EXISTS "stock_location_address" (
    "id" TEXT NOT NULL,
    "created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    "deleted_at" TEXT NULL,
    "address_1" TEXT NOT NULL,
    "address_2" TEXT NULL,
    "company" TEXT NULL,
    "city" TEXT NULL,
    "country_code" TEXT NOT NULL,
    "phone" TEXT NULL,
    "province" TEXT NULL,
    "postal_code" TEXT NULL,
    "metadata" TEXT NULL,
    CONSTRAINT "stock_location_address_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_stock_location_address_deleted_at" ON "stock_location_address" ("deleted_at");
