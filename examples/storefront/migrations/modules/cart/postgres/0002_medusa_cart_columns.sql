-- Module cart: the rest of Medusa 2.21's `cart` columns.
ALTER TABLE "cart" ADD COLUMN IF NOT EXISTS "shipping_address_id" text NULL;
ALTER TABLE "cart" ADD COLUMN IF NOT EXISTS "billing_address_id" text NULL;
