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

/// Turns a TLS handshake failure into a message that names the cause plainly.
pub fn describe_handshake_error(error: &native_tls::Error) -> Error {
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let reason = if lower.contains("certificate verify failed") || lower.contains("not trusted") {
        let detail = text
            .rfind('(')
            .and_then(|i| {
                text[i + 1..]
                    .find(')')
                    .map(|j| text[i + 1..i + 1 + j].to_string())
            })
            .unwrap_or_else(|| "verification failed".to_string());
        if detail.contains("mismatch") {
            // Trusting another CA would not help here: say what is wrong.
            format!("TLS: the server certificate is not trusted: it is not issued for this host ({detail}); connect with a host name the certificate names or, only for testing, skip verification")
        } else if detail.contains("expired") || detail.contains("not yet valid") {
            // Nor here: the certificate is outside its validity period.
            format!("TLS: the server certificate is not trusted: it is not valid at this time ({detail}); the server needs a current certificate (or this machine's clock is wrong)")
        } else {
            format!("TLS: the server certificate is not trusted ({detail}); trust its CA or, only for testing, skip verification")
        }
    } else {
        format!("TLS handshake failed: {text}")
    };
    tls_error(reason)
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
}
