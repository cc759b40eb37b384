-- Module order: the rest of Medusa 2.21's `order` columns (`status` stays
-- text: SQLite has no enum types).
ALTER TABLE "order" ADD COLUMN "shipping_address_id" TEXT NULL;
ALTER TABLE "order" ADD COLUMN "billing_address_id" TEXT NULL;
ALTER TABLE "order" ADD COLUMN "custom_display_id" TEXT NULL;
