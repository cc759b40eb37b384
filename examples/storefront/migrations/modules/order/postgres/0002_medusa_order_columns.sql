-- Module order: the rest of Medusa 2.21's `order` columns, and `status` as
-- its enum type `order_status_enum`.
ALTER TABLE "order" ADD COLUMN IF NOT EXISTS "shipping_address_id" text NULL;
ALTER TABLE "order" ADD COLUMN IF NOT EXISTS "billing_address_id" text NULL;
ALTER TABLE "order" ADD COLUMN IF NOT EXISTS "custom_display_id" text NULL;
DO $$ BEGIN
    CREATE TYPE "order_status_enum" AS ENUM ('pending', 'completed', 'draft', 'archived', 'canceled', 'requires_action');
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER TABLE "order" ALTER COLUMN "status" DROP DEFAULT;
ALTER TABLE "order" ALTER COLUMN "status" TYPE "order_status_enum" USING "status"::"order_status_enum";
ALTER TABLE "order" ALTER COLUMN "status" SET DEFAULT 'pending';
