//! Tracing set up in one place: `RUST_LOG` filters, text lines on stderr.
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber; later calls (as in tests) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .try_init();
}
