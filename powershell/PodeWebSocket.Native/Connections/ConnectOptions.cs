// The options JSON of pode_ws_connect (camelCase keys, see include/pode_ws.h), built from the
// parameters of Connect-PodeWebSocket (which validated them). Built in C#: doing it with
// ordered dictionaries and ConvertTo-Json cost more than the handshake itself.
using System;
using System.Collections;
using System.IO;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace PodeWebSocket
{
    public sealed class ConnectOptions
    {
        public IDictionary Headers { get; set; }
        public string[] SubProtocols { get; set; }
        public PSCredential Credential { get; set; }
        public double ConnectTimeoutSeconds { get; set; } = 30;
        public double PingIntervalSeconds { get; set; } = 30;
        public double PingTimeoutSeconds { get; set; } = 10;
        public double CloseTimeoutSeconds { get; set; } = 5;
        public bool Reconnect { get; set; }
        public double ReconnectDelaySeconds { get; set; } = 1;
        public double ReconnectMaxDelaySeconds { get; set; } = 30;
        public int ReconnectMaxAttempts { get; set; }
        /// <summary>0 keeps the core's default (64 MiB).</summary>
        public long MaxMessageSize { get; set; }
        public bool SkipCertificateCheck { get; set; }
        public X509Certificate2 Certificate { get; set; }
        public X509Certificate2[] TrustedCertificates { get; set; }
        public string Proxy { get; set; }
        public PSCredential ProxyCredential { get; set; }
        /// <summary>False: no proxy from the environment (an explicit Proxy still applies).</summary>
        public bool ProxyFromEnvironment { get; set; } = true;
        public bool ManualReceive { get; set; }
        /// <summary>Redirects of the opening handshake to follow; negative keeps the core's default (5).</summary>
        public int MaximumRedirection { get; set; } = -1;
        /// <summary>Records the connect trace under this id (pode_ws_trace_read); null: no trace.</summary>
        public string TraceId { get; set; }
        /// <summary>The first connect runs in the background: Connect returns at once (state Connecting).</summary>
        public bool Background { get; set; }
        /// <summary>Every reconnect attempt waits for the module's answer (an -OnReconnecting handler).</summary>
        public bool AwaitReconnectTarget { get; set; }
        /// <summary>Offer permessage-deflate (the core's default); false: -NoCompression.</summary>
        public bool Compression { get; set; } = true;
        /// <summary>The URL connected to: where the system proxy (Windows, macOS) is asked for.</summary>
        public string Url { get; set; }
        /// <summary>After ToJson: what the system proxy lookup decided (for -Verbose), else null.</summary>
        public string SystemProxyNote { get; private set; }

        /// <summary>
        /// The proxy variables the core reads. On Linux and macOS .NET keeps its own copy of the
        /// environment ($env:HTTPS_PROXY = ... never reaches the process's), so the values are
        /// taken from .NET's view and handed over, as .NET's HttpClient.DefaultProxy would read them.
        /// </summary>
        private static readonly string[] ProxyVariables =
        {
            "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY", "GATEWAY_INTERFACE",
        };

        /// <summary>The variables that make .NET's HttpClient.DefaultProxy use the environment instead of the system settings.</summary>
        private static readonly string[] ProxyAddressVariables =
        {
            "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
        };

        private static bool AnyProxyVariable()
        {
            foreach (var variable in ProxyAddressVariables)
            {
                if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(variable))) return true;
            }
            return false;
        }

        private static long Milliseconds(double seconds)
        {
            return (long)Math.Ceiling(seconds * 1000);
        }

        /// <summary>ToJson, returning the failure (e.g. a certificate that cannot be exported) instead of throwing.</summary>
        public PodeWebSocketException TryToJson(string name, out string json)
        {
            json = null;
            try
            {
                json = ToJson();
                return null;
            }
            catch (Exception e)
            {
                return PodeWebSocketException.Find(e) ?? Errors.Invalid("InvalidArgument", "the connection options cannot be used: " + e.Message, name);
            }
        }

        public string ToJson()
        {
            using (var stream = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(stream))
                {
                    w.WriteStartObject();
                    bool authorization = Credential != null;
                    if ((Headers != null && Headers.Count > 0) || authorization)
                    {
                        w.WriteStartObject("headers");
                        if (Headers != null)
                        {
                            foreach (DictionaryEntry h in Headers)
                            {
                                w.WriteString(Convert.ToString(h.Key), h.Value == null ? string.Empty : LanguagePrimitives.ConvertTo<string>(h.Value));
                            }
                        }
                        if (authorization)
                        {
                            var network = Credential.GetNetworkCredential();
                            string pair = Credential.UserName + ":" + network.Password;
                            w.WriteString("Authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
                        }
                        w.WriteEndObject();
                    }
                    if (SubProtocols != null && SubProtocols.Length > 0)
                    {
                        w.WriteStartArray("subprotocols");
                        foreach (var p in SubProtocols) w.WriteStringValue(p);
                        w.WriteEndArray();
                    }
                    w.WriteNumber("connectTimeoutMs", Milliseconds(ConnectTimeoutSeconds));
                    w.WriteNumber("pingIntervalMs", Milliseconds(PingIntervalSeconds));
                    w.WriteNumber("pongTimeoutMs", Milliseconds(PingTimeoutSeconds));
                    w.WriteNumber("closeTimeoutMs", Milliseconds(CloseTimeoutSeconds));
                    if (Reconnect)
                    {
                        w.WriteStartObject("reconnect");
                        w.WriteBoolean("enabled", true);
                        w.WriteNumber("initialDelayMs", Milliseconds(ReconnectDelaySeconds));
                        w.WriteNumber("maxDelayMs", Milliseconds(ReconnectMaxDelaySeconds));
                        w.WriteNumber("maxAttempts", ReconnectMaxAttempts);
                        if (AwaitReconnectTarget) w.WriteBoolean("awaitTarget", true);
                        w.WriteEndObject();
                    }
                    if (MaxMessageSize > 0)
                    {
                        // one limit for the user: a single frame may be as large as a whole message
                        w.WriteNumber("maxMessageSize", MaxMessageSize);
                        w.WriteNumber("maxFrameSize", MaxMessageSize);
                    }
                    if (SkipCertificateCheck || Certificate != null || (TrustedCertificates != null && TrustedCertificates.Length > 0))
                    {
                        w.WriteStartObject("tls");
                        if (SkipCertificateCheck) w.WriteBoolean("skipVerify", true);
                        if (TrustedCertificates != null && TrustedCertificates.Length > 0)
                        {
                            var pem = new StringBuilder();
                            foreach (var c in TrustedCertificates) pem.Append(c.ExportCertificatePem()).Append('\n');
                            w.WriteString("caPem", pem.ToString());
                        }
                        if (Certificate != null)
                        {
                            // the certificate crosses to the native TLS stack as PKCS#12 under a one-time password
                            string password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
                            byte[] pkcs12 = Certificate.Export(X509ContentType.Pkcs12, password);
                            w.WriteString("clientPkcs12Base64", Convert.ToBase64String(pkcs12));
                            w.WriteString("clientPkcs12Password", password);
                        }
                        w.WriteEndObject();
                    }
                    // Windows and macOS: with no proxy variable set, .NET uses the system settings; so do we
                    string proxyUrl = string.IsNullOrWhiteSpace(Proxy) ? null : Proxy;
                    bool fromEnvironment = ProxyFromEnvironment;
                    SystemProxyNote = null;
                    string systemProxy;
                    if (proxyUrl == null && fromEnvironment && SystemProxy.Applies && !AnyProxyVariable() && SystemProxy.TryResolve(Url, out systemProxy))
                    {
                        proxyUrl = systemProxy;
                        fromEnvironment = false;
                        SystemProxyNote = systemProxy == null
                            ? "no proxy variable is set and the system proxy settings send this URL direct"
                            : "no proxy variable is set: the system proxy settings give " + systemProxy;
                    }
                    w.WriteStartObject("proxy");
                    if (proxyUrl != null) w.WriteString("url", proxyUrl);
                    if (ProxyCredential != null)
                    {
                        w.WriteString("username", ProxyCredential.UserName);
                        w.WriteString("password", ProxyCredential.GetNetworkCredential().Password);
                    }
                    if (!fromEnvironment) w.WriteBoolean("fromEnvironment", false);
                    else
                    {
                        w.WriteStartObject("environment");
                        foreach (var variable in ProxyVariables)
                        {
                            string value = Environment.GetEnvironmentVariable(variable);
                            if (value != null) w.WriteString(variable, value);
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                    if (MaximumRedirection >= 0) w.WriteNumber("maxRedirects", MaximumRedirection);
                    if (!string.IsNullOrEmpty(TraceId)) w.WriteString("traceId", TraceId);
                    if (Background) w.WriteBoolean("background", true);
                    if (ManualReceive) w.WriteBoolean("manualReceive", true);
                    if (!Compression)
                    {
                        w.WriteStartObject("compression");
                        w.WriteBoolean("enabled", false);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
            }
        }
    }
}
