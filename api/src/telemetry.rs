//! Tracing set up in one place: `RUST_LOG` filters, text lines on stderr,
//! and the span each request's events are written in.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::{Error, HttpMessage};
use tracing::{Span, field};
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
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

/// The root span of each request (`TracingLogger::<RequestSpan>`): the
/// fields of tracing-actix-web's default span, except that the target's
/// sensitive query values (unsubscribe tokens...) are redacted, the method is
/// one of a closed set, and no error's debug dump is attached. Every event of
/// a request is written with these fields.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let client_ip = request
            .connection_info()
            .realip_remote_addr()
            .unwrap_or("")
            .to_owned();
        tracing::info_span!(
            "HTTP request",
            http.method = crate::metrics::method_label(request.method()),
            http.route = %route,
            http.target = %redacted_target(request.uri().path(), request.uri().query()),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            request_id = %request_id,
            http.status_code = field::Empty,
            otel.status_code = field::Empty,
            exception.message = field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Query parameters whose values are secrets: their names contain one of these.
const SENSITIVE: [&str; 5] = ["token", "secret", "password", "key", "code"];

/// The path and query with the values of sensitive parameters replaced.
pub fn redacted_target(path: &str, query: Option<&str>) -> String {
    let Some(query) = query else {
        return path.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_sensitive(name) => format!("{name}=REDACTED"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| name.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_request_logs_no_token_of_its_query() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::registry().with(
            fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false),
        );
        tracing::subscriber::with_default(subscriber, || {
            let request = actix_web::test::TestRequest::with_uri(
                "/v1/email/unsubscribe?token=s3cr3t-Value_42&lang=fr&client_secret=xyz",
            )
            .method(actix_web::http::Method::from_bytes(b"BREW").unwrap())
            .to_srv_request();
            let span = RequestSpan::on_request_start(&request);
            span.in_scope(|| tracing::error!("request failed"));
        });
        let logged = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("request failed"), "{logged}");
        assert!(!logged.contains("s3cr3t"), "{logged}");
        assert!(!logged.contains("xyz"), "{logged}");
        assert!(!logged.contains("BREW"), "{logged}");
        assert!(
            logged.contains("/v1/email/unsubscribe?token=REDACTED&lang=fr&client_secret=REDACTED"),
            "{logged}"
        );
    }
}
