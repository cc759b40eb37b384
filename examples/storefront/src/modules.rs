//! The six modules of the seed. Each owns its tables, created by its own
//! migrations (tracked per module), and never references another module's
//! tables: links between them live in the link tables.

use link_runtime::{Db, Error, MigrationSource};

/// One module's migrations.
pub struct ModuleMigrations {
    /// The module's name.
    pub module: &'static str,
    /// The module's own tracking table.
    pub tracking_table: &'static str,
    /// Its SQLite migrations.
    pub sqlite: &'static [MigrationSource],
    /// Its Postgres migrations.
    pub postgres: &'static [MigrationSource],
}

/// A module's migrations of one dialect: `(version, file prefix, name)`
/// naming `migrations/modules/<module>/<dialect>/<prefix>_<name>.sql`.
macro_rules! migrations {
    ($module:literal, $dialect:literal, [$(($version:literal, $file:literal, $name:literal)),+ $(,)?]) => {
        &[$(MigrationSource {
            version: $version,
            description: $name,
            sql: include_str!(concat!(
                "../migrations/modules/",
                $module,
                "/",
                $dialect,
                "/",
                $file,
                "_",
                $name,
                ".sql"
            )),
        }),+]
    };
}

macro_rules! module {
    ($module:literal, [$(($version:literal, $file:literal, $name:literal)),+ $(,)?]) => {
        ModuleMigrations {
            module: $module,
            tracking_table: concat!("_module_", $module, "_migrations"),
            sqlite: migrations!($module, "sqlite", [$(($version, $file, $name)),+]),
            postgres: migrations!($module, "postgres", [$(($version, $file, $name)),+]),
        }
    };
}

/// Every module, in the order their migrations run.
pub static MODULES: &[ModuleMigrations] = &[
    module!("api_key", [(1, "0001", "create_api_key")]),
    module!("sales_channel", [(1, "0001", "create_sales_channel")]),
    module!(
        "cart",
        [
            (1, "0001", "create_cart"),
            (2, "0002", "medusa_cart_columns")
        ]
    ),
    module!(
        "order",
        [
            (1, "0001", "create_order"),
            (2, "0002", "medusa_order_columns")
        ]
    ),
    module!(
        "product",
        [
            (1, "0001", "create_product"),
            (2, "0002", "medusa_product_columns")
        ]
    ),
    module!(
        "stock_location",
        [
            (1, "0001", "create_stock_location"),
            (2, "0002", "stock_location_address")
        ]
    ),
];

/// Applies one module's pending migrations.
pub async fn migrate(db: &Db, m: &ModuleMigrations) -> Result<(), Error> {
    let sources = match db.dialect() {
        link_runtime::Dialect::Sqlite => m.sqlite,
        link_runtime::Dialect::Postgres => m.postgres,
    };
    link_runtime::migrate::run_with_table(db, sources, m.tracking_table).await
}

/// Seed records of a module: the seed document's ids (`sc_123`, `prod_123`,
/// `apk_123`, `sloc_123`, a cart and an order in `sc_123`) plus a few more so
/// lists are not trivial. Inserting twice changes nothing.
pub fn seed_sql(module: &str) -> &'static str {
    match module {
        "sales_channel" => {
            r#"INSERT INTO "sales_channel" ("id", "name", "description", "is_disabled") VALUES
    ('sc_123', 'Default Sales Channel', 'Created by default', false),
    ('sc_456', 'Webshop', NULL, false),
    ('sc_789', 'Wholesale', 'B2B orders', true)
ON CONFLICT DO NOTHING;"#
        }
        "api_key" => {
            r#"INSERT INTO "api_key" ("id", "token", "salt", "redacted", "title", "type", "created_by") VALUES
    ('apk_123', 'pk_0123', 'salt1', 'pk_***123', 'Storefront key', 'publishable', 'user_1'),
    ('apk_456', 'pk_0456', 'salt2', 'pk_***456', 'Mobile app key', 'publishable', 'user_1')
ON CONFLICT DO NOTHING;"#
        }
        "product" => {
            r#"INSERT INTO "product" ("id", "title", "handle", "status", "weight") VALUES
    ('prod_123', 'Medusa T-Shirt', 't-shirt', 'published', 400),
    ('prod_456', 'Medusa Sweatpants', 'sweatpants', 'published', 600),
    ('prod_789', 'Medusa Shorts', 'shorts', 'draft', NULL)
ON CONFLICT DO NOTHING;"#
        }
        "stock_location" => {
            r#"INSERT INTO "stock_location" ("id", "name") VALUES
    ('sloc_123', 'European Warehouse'),
    ('sloc_456', 'US Warehouse')
ON CONFLICT DO NOTHING;"#
        }
        "cart" => {
            r#"INSERT INTO "cart" ("id", "sales_channel_id", "email", "currency_code") VALUES
    ('cart_1', 'sc_123', 'ada@example.com', 'eur'),
    ('cart_2', 'sc_456', NULL, 'usd'),
    ('cart_3', NULL, NULL, 'eur')
ON CONFLICT DO NOTHING;"#
        }
        "order" => {
            r#"INSERT INTO "order" ("id", "display_id", "sales_channel_id", "email", "currency_code", "status") VALUES
    ('order_1', 1, 'sc_123', 'ada@example.com', 'eur', 'completed'),
    ('order_2', 2, 'sc_456', 'bob@example.com', 'usd', 'pending')
ON CONFLICT DO NOTHING;"#
        }
        _ => "",
    }
}
