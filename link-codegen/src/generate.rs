//! Codegen as a library call, in the style of prost-build: a host project can
//! run it from its own xtask or `build.rs`.
//!
//! ```no_run
//! link_codegen::Codegen::new("links.toml").write().unwrap();
//! ```

use std::path::{Path, PathBuf};

use crate::emit::sql::Dialect;
use crate::migrations::{self, Lock};
use crate::{CheckError, Validated, emit, schema};

/// A file codegen produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub path: PathBuf,
    pub contents: String,
}

/// Why codegen could not produce its files. `Debug` shows the rendered
/// report, as `Display` does (so `.unwrap()` prints the diagnostics).
pub enum CodegenError {
    /// A file cannot be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The definitions have problems.
    Invalid(CheckError),
    /// The lock file cannot be parsed.
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        message: String,
    },
}

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodegenError::Io { path, error } => {
                writeln!(f, "error: cannot read {}: {error}", path.display())
            }
            CodegenError::Invalid(e) => f.write_str(&e.rendered),
            CodegenError::Lock { path, message } => writeln!(
                f,
                "error: {} is not a valid lock file: {message}\nhelp: restore it from version control; it records the migrations already generated",
                path.display()
            ),
        }
    }
}

impl std::fmt::Debug for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for CodegenError {}

/// Everything one codegen run produces.
#[derive(Debug, Clone)]
pub struct Plan {
    pub files: Vec<OutputFile>,
    /// Destructive changes that were not generated for want of the flag.
    pub skipped: Vec<String>,
    /// The migration this run adds, if any (`0002_add_…`).
    pub new_migration: Option<String>,
}

/// Builder for one codegen run.
#[derive(Debug, Clone)]
pub struct Codegen {
    links: PathBuf,
    out_root: Option<PathBuf>,
    allow_destructive: bool,
}

impl Codegen {
    /// Generate from this definition file.
    pub fn new(links: impl Into<PathBuf>) -> Codegen {
        Codegen {
            links: links.into(),
            out_root: None,
            allow_destructive: false,
        }
    }

    /// Folder the `[codegen]` paths are relative to (default: the definition
    /// file's folder).
    pub fn out_root(mut self, dir: impl Into<PathBuf>) -> Codegen {
        self.out_root = Some(dir.into());
        self
    }

    /// Generate migrations that drop tables or columns.
    pub fn allow_destructive(mut self, yes: bool) -> Codegen {
        self.allow_destructive = yes;
        self
    }

    fn root(&self) -> PathBuf {
        match &self.out_root {
            Some(r) => r.clone(),
            None => self
                .links
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        }
    }

    /// Reads and validates the definition file.
    pub fn validated(&self) -> Result<Validated, CodegenError> {
        let source = read(&self.links)?;
        let name = self.links.file_name().map_or_else(
            || self.links.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        // Links declared with `#[define_link]` in the workspace's sources
        // (when the definition file sits at a workspace root).
        let root = self.links.parent().unwrap_or(Path::new("."));
        let sources = if root.join("Cargo.toml").is_file() {
            crate::expand::workspace_sources(root).map_err(|error| CodegenError::Io {
                path: root.to_path_buf(),
                error,
            })?
        } else {
            Vec::new()
        };
        if sources.is_empty() {
            return crate::check_toml(&name, &source).map_err(CodegenError::Invalid);
        }
        crate::expand::check_sources(&name, &source, &sources)
            .map(|(v, _)| v)
            .map_err(CodegenError::Invalid)
    }

    /// Computes every output without writing anything.
    pub fn plan(&self) -> Result<Plan, CodegenError> {
        let v = self.validated()?;
        let root = self.root();
        plan_for(&v, &root, self.allow_destructive)
    }

    /// Computes and writes every output that differs from disk.
    pub fn write(&self) -> Result<Plan, CodegenError> {
        let plan = self.plan()?;
        for f in &plan.files {
            if std::fs::read_to_string(&f.path).ok().as_deref() == Some(f.contents.as_str()) {
                continue;
            }
            if let Some(parent) = f.path.parent() {
                std::fs::create_dir_all(parent).map_err(|error| CodegenError::Io {
                    path: parent.to_path_buf(),
                    error,
                })?;
            }
            std::fs::write(&f.path, &f.contents).map_err(|error| CodegenError::Io {
                path: f.path.clone(),
                error,
            })?;
        }
        Ok(plan)
    }
}

fn read(path: &Path) -> Result<String, CodegenError> {
    std::fs::read_to_string(path).map_err(|error| CodegenError::Io {
        path: path.to_path_buf(),
        error,
    })
}

/// Outputs for a validated graph with outputs under `root`.
pub fn plan_for(v: &Validated, root: &Path, allow_destructive: bool) -> Result<Plan, CodegenError> {
    let cfg = &v.codegen;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut new_migration = None;
    let mut embedded: Option<Vec<(u32, String)>> = None;
    if let Some(dir) = &cfg.migrations {
        let lock_path = root.join(cfg.lock.as_deref().unwrap_or("links.lock"));
        let mut lock = match std::fs::read_to_string(&lock_path) {
            Ok(text) => Lock::parse(&text).map_err(|message| CodegenError::Lock {
                path: lock_path.clone(),
                message,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Lock::default(),
            Err(error) => {
                return Err(CodegenError::Io {
                    path: lock_path,
                    error,
                });
            }
        };
        let before = lock.migrations.len();
        let wanted = schema::tables_of(&v.graph);
        let d = lock.advance(&wanted, allow_destructive);
        skipped = d.skipped.iter().map(|c| c.summary()).collect();
        if lock.migrations.len() > before {
            new_migration = lock.migrations.last().map(|m| m.file_stem());
        }
        for (i, m) in lock.migrations.iter().enumerate() {
            for dialect in Dialect::ALL {
                let path = root
                    .join(dir)
                    .join(dialect.name())
                    .join(format!("{}.sql", m.file_stem()));
                // A migration already on disk is never rewritten.
                if i < before && path.exists() {
                    continue;
                }
                files.push(OutputFile {
                    path,
                    contents: migrations::render(&lock, i, dialect),
                });
            }
        }
        embedded = Some(
            lock.migrations
                .iter()
                .map(|m| (m.version, m.description.clone()))
                .collect(),
        );
        files.push(OutputFile {
            path: lock_path,
            contents: lock.render(),
        });
    }
    if let Some(rust) = &cfg.rust {
        let migrations = match (&cfg.migrations, embedded) {
            (Some(dir), Some(list)) => Some(emit::rust::EmbeddedMigrations {
                // An absolute folder (`build()`'s module in OUT_DIR) as is.
                dir: if Path::new(dir).is_absolute() {
                    dir.clone()
                } else {
                    relative_dir(rust, dir)
                },
                list,
            }),
            _ => None,
        };
        let contents = emit::rust::emit_with(
            &v.graph,
            &emit::rust::RustOptions {
                migrations,
                skip_link_items: v.macro_links.clone(),
            },
        );
        files.push(OutputFile {
            path: root.join(rust),
            contents,
        });
    }
    if let Some(docs) = &cfg.docs {
        for (name, text) in emit::docs::emit_with(
            &v.graph,
            cfg.module.as_deref().unwrap_or("crate::links"),
            &v.macro_items,
        ) {
            files.push(OutputFile {
                path: root.join(docs).join(name),
                contents: text,
            });
        }
    }
    Ok(Plan {
        files,
        skipped,
        new_migration,
    })
}

/// Path of folder `to` as seen from the folder of file `from` (both relative
/// to the same root, `/`-separated).
pub fn relative_dir(from_file: &str, to_dir: &str) -> String {
    let from: Vec<&str> = from_file
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let from = &from[..from.len().saturating_sub(1)];
    let to: Vec<&str> = to_dir
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}
