//! TLS settings for `wss://`: native-tls (SChannel, Security.framework, OpenSSL).
//!
//! Verification is on unless the options say `skipVerify: true`; there is no other way to turn
//! it off. The connector is built once per connection and reused for every reconnect.

use base64::Engine;
use native_tls::{Certificate, Identity, TlsConnector};

use crate::error::{Error, PodeWsResult, Result};
use crate::options::TlsOptions;

fn tls_error(message: impl Into<String>) -> Error {
    Error::new(PodeWsResult::Tls, message)
}

/// Builds the connector for the given options.
pub fn build_connector(options: &TlsOptions) -> Result<TlsConnector> {
    let mut builder = TlsConnector::builder();
    if options.skip_verify {
        builder
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true);
    }
    if let Some(pem) = &options.ca_pem {
        let certificates = split_pem_certificates(pem);
        if certificates.is_empty() {
            return Err(Error::new(
                PodeWsResult::InvalidOptions,
                "tls.caPem holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)",
            ));
        }
        for block in certificates {
            let certificate = Certificate::from_pem(block.as_bytes()).map_err(|e| {
                Error::new(
                    PodeWsResult::InvalidOptions,
                    format!("tls.caPem: a certificate could not be read: {e}"),
                )
            })?;
            builder.add_root_certificate(certificate);
        }
    }
    if let Some(pkcs12) = &options.client_pkcs12_base64 {
        let der = base64::engine::general_purpose::STANDARD
            .decode(pkcs12.0.trim())
            .map_err(|_| {
                Error::new(
                    PodeWsResult::InvalidOptions,
                    "tls.clientPkcs12Base64 is not valid base64",
                )
            })?;
        let password = options
            .client_pkcs12_password
            .as_ref()
            .map_or("", |p| p.0.as_str());
        let identity = Identity::from_pkcs12(&der, password).map_err(|e| {
            Error::new(
                PodeWsResult::InvalidOptions,
                format!(
                    "the client certificate could not be loaded (wrong password, or not PKCS#12 with a private key): {e}"
                ),
            )
        })?;
        builder.identity(identity);
    }
    builder
        .build()
        .map_err(|e| tls_error(format!("TLS could not be initialised: {e}")))
}

/// Splits PEM text into its CERTIFICATE blocks.
fn split_pem_certificates(pem: &str) -> Vec<String> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find(BEGIN) {
        let Some(end) = rest[start..].find(END) else {
            break;
        };
        let stop = start + end + END.len();
        blocks.push(format!("{}\n", &rest[start..stop]));
        rest = &rest[stop..];
    }
    blocks
}

/// Turns a TLS handshake failure into an error naming the cause: `TlsUntrusted` when the server
/// certificate failed verification (with what is wrong with it), else `Tls`.
pub fn describe_handshake_error(error: &native_tls::Error) -> Error {
    match openssl_codes::verification_failure(error) {
        Some(failure) => Error::new(PodeWsResult::TlsUntrusted, failure.message()),
        None => tls_error(format!("TLS handshake failed: {error}")),
    }
}

/// A TLS failure that surfaces as an I/O error while the WebSocket handshake is read: with TLS
/// 1.3 the server checks the client certificate after our side of the TLS handshake finished,
/// so its refusal arrives as an alert then. `None` when the error did not come from TLS.
pub fn describe_io_error(error: &std::io::Error) -> Option<Error> {
    openssl_codes::io_failure(error)
}

/// What is wrong with a server certificate that failed verification.
#[cfg_attr(any(target_os = "windows", target_vendor = "apple"), allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
enum VerificationFailure {
    /// Not issued for the host connected to: trusting another CA would not help.
    NotForThisHost(String),
    /// Expired or not yet valid: nor here.
    NotValidNow(String),
    /// Unknown issuer, self-signed, broken chain, ...: trusting its CA helps.
    Untrusted(String),
}

#[cfg_attr(any(target_os = "windows", target_vendor = "apple"), allow(dead_code))]
impl VerificationFailure {
    fn message(&self) -> String {
        match self {
            VerificationFailure::NotForThisHost(detail) => format!("TLS: the server certificate is not trusted: it is not issued for this host ({detail}); connect with a host name the certificate names or, only for testing, skip verification"),
            VerificationFailure::NotValidNow(detail) => format!("TLS: the server certificate is not trusted: it is not valid at this time ({detail}); the server needs a current certificate (or this machine's clock is wrong)"),
            VerificationFailure::Untrusted(detail) => format!("TLS: the server certificate is not trusted ({detail}); trust its CA or, only for testing, skip verification"),
        }
    }
}

/// Where native-tls uses OpenSSL (every platform but Windows and Apple's): failures are told
/// apart by OpenSSL's error codes, never by the words of its messages.
///
/// native-tls 0.2 keeps the certificate's verify result (`X509_V_ERR_*`) in a private variant of
/// its error (`imp::Error::Ssl(ssl::Error, X509VerifyResult)`), reachable only through its
/// formatting: `Debug` prints `X509VerifyResult { code: N, error: "..." }` (the openssl crate's
/// own Debug impl). The decision that verification failed comes from a real code, the reason
/// `SSL_R_CERTIFICATE_VERIFY_FAILED` in the OpenSSL error stack that `source()` leads to; the
/// verify result only refines the advice, and when it cannot be read the error is still
/// `TlsUntrusted`.
#[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
mod openssl_codes {
    use std::ffi::c_int;

    use openssl::error::ErrorStack;

    use super::VerificationFailure;
    use crate::error::{Error, PodeWsResult};

    // OpenSSL's err.h and sslerr.h (the same values in 1.1 and 3.x); openssl-sys does not export them.
    const ERR_LIB_SSL: c_int = 20;
    const SSL_R_CERTIFICATE_VERIFY_FAILED: c_int = 134;
    const SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED: c_int = 1116;

    fn has_ssl_reason(stack: &ErrorStack, reason: c_int) -> bool {
        stack
            .errors()
            .iter()
            .any(|e| e.library_code() == ERR_LIB_SSL && e.reason_code() == reason)
    }

    pub(super) fn verification_failure(error: &native_tls::Error) -> Option<VerificationFailure> {
        let stack = std::error::Error::source(error)?.downcast_ref::<ErrorStack>()?;
        if !has_ssl_reason(stack, SSL_R_CERTIFICATE_VERIFY_FAILED) {
            return None;
        }
        let Some((code, detail)) = verify_result(&format!("{error:?}")) else {
            return Some(VerificationFailure::Untrusted(
                "verification failed".to_string(),
            ));
        };
        Some(classify(code, detail))
    }

    pub(super) fn classify(code: c_int, detail: String) -> VerificationFailure {
        use openssl_sys::{
            X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID, X509_V_ERR_EMAIL_MISMATCH,
            X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH,
        };
        match code {
            X509_V_ERR_HOSTNAME_MISMATCH
            | X509_V_ERR_IP_ADDRESS_MISMATCH
            | X509_V_ERR_EMAIL_MISMATCH => VerificationFailure::NotForThisHost(detail),
            X509_V_ERR_CERT_HAS_EXPIRED | X509_V_ERR_CERT_NOT_YET_VALID => {
                VerificationFailure::NotValidNow(detail)
            }
            _ => VerificationFailure::Untrusted(detail),
        }
    }

    /// The verify result's code and text from the `Debug` form of a native-tls error.
    pub(super) fn verify_result(debug: &str) -> Option<(c_int, String)> {
        const MARK: &str = "X509VerifyResult { code: ";
        let rest = &debug[debug.rfind(MARK)? + MARK.len()..];
        let end = rest.find(|c: char| c != '-' && !c.is_ascii_digit())?;
        let code = rest[..end].parse().ok()?;
        let text = rest[end..]
            .strip_prefix(", error: \"")
            .and_then(|t| t.split('"').next())
            .filter(|t| !t.is_empty())
            .unwrap_or("verification failed");
        Some((code, text.to_string()))
    }

    pub(super) fn io_failure(error: &std::io::Error) -> Option<Error> {
        let ssl = error.get_ref()?.downcast_ref::<openssl::ssl::Error>()?;
        if ssl
            .ssl_error()
            .is_some_and(|stack| has_ssl_reason(stack, SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED))
        {
            return Some(Error::new(
                PodeWsResult::Tls,
                "TLS: the server requires a client certificate (set tls.clientPkcs12Base64)",
            ));
        }
        Some(Error::new(
            PodeWsResult::Tls,
            format!("TLS failed during the opening handshake: {error}"),
        ))
    }
}

/// SChannel (Windows) and Security.framework (Apple): their error codes (CERT_E_*, errSSL*) are
/// not read yet, so every TLS failure is `Tls` with the platform's own message. Untested: CI
/// runs on Linux only.
#[cfg(any(target_os = "windows", target_vendor = "apple"))]
mod openssl_codes {
    use super::VerificationFailure;
    use crate::error::Error;

    pub(super) fn verification_failure(_error: &native_tls::Error) -> Option<VerificationFailure> {
        None
    }

    pub(super) fn io_failure(_error: &std::io::Error) -> Option<Error> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_several_pem_blocks() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
        let blocks = split_pem_certificates(pem);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[1].contains("BBB"));
    }

    #[cfg(not(any(target_os = "windows", target_vendor = "apple")))]
    #[test]
    fn reads_the_verify_result_of_a_native_tls_error() {
        // what native-tls 0.2's Debug prints for a failed verification (the stack abridged)
        let debug = r#"Ssl(Error { code: ErrorCode(1), cause: Some(Ssl(ErrorStack([Error { code: 167772294, library: "SSL routines", reason: "certificate verify failed" }]))) }, X509VerifyResult { code: 62, error: "hostname mismatch" })"#;
        let (code, text) = openssl_codes::verify_result(debug).unwrap();
        assert_eq!((code, text.as_str()), (62, "hostname mismatch"));
        assert_eq!(
            openssl_codes::classify(code, text),
            VerificationFailure::NotForThisHost("hostname mismatch".to_string())
        );
        assert_eq!(openssl_codes::verify_result("Normal(ErrorStack([]))"), None);
    }
}
