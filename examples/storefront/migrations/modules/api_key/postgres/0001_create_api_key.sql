-- Module api_key: its own tables (columns of Medusa 2.21's `api_key` table that the storefront uses).
CREATE TABLE IF NOT EXISTS "api_key" (
    "id" text NOT NULL,
    "token" text NOT NULL,
    "salt" text NOT NULL,
    "redacted" text NOT NULL,
    "title" text NOT NULL,
    "type" text NOT NULL,
    "last_used_at" timestamptz NULL,
    "created_by" text NOT NULL,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    "revoked_by" text NULL,
    "revoked_at" timestamptz NULL,
    "updated_at" timestamptz NOT NULL DEFAULT now(),
    "deleted_at" timestamptz NULL,
    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);
CREATE INDEX IF NOT EXISTS "IDX_api_key_type" ON "api_key" ("type") WHERE "deleted_at" IS NULL;
CREATE INDEX IF NOT EXISTS "IDX_api_key_deleted_at" ON "api_key" ("deleted_at");
