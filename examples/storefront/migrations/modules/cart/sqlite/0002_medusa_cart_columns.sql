-- Module cart: the rest of Medusa 2.21's `cart` columns.
ALTER TABLE "cart" ADD COLUMN "shipping_address_id" TEXT NULL;
ALTER TABLE "cart" ADD COLUMN "billing_address_id" TEXT NULL;
