//! The reference tables (collèges, communes) and their import from the open
//! data files described in `shared/data/README.md`.
mod cache;
mod import;

pub use cache::{CommuneCache, CommuneRef};
pub use import::{FileReport, ImportError, ImportReport, import_dir};
