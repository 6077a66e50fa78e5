# Builds the options JSON of pode_ws_connect (camelCase keys, see include/pode_ws.h) from the
# parameters of Connect-PodeWebSocket (which validated them). Only what the caller set is sent; the
# core has the defaults.

function New-PodeWsOptionsJson {
    param(
        [hashtable]$Headers,
        [string[]]$SubProtocol,
        [pscredential]$Credential,
        [switch]$SkipCertificateCheck,
        [System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate,
        [System.Security.Cryptography.X509Certificates.X509Certificate2[]]$TrustedCertificate,
        [string]$Proxy,
        [pscredential]$ProxyCredential,
        [double]$ConnectTimeout,
        [double]$PingInterval,
        [double]$PingTimeout,
        [switch]$Reconnect,
        [double]$ReconnectDelay,
        [double]$ReconnectMaxDelay,
        [int]$ReconnectMaxAttempts,
        [long]$MaxMessageSize,
        [switch]$ManualReceive
    )

    $options = [ordered]@{}

    $headerTable = [ordered]@{}
    if ($null -ne $Headers) {
        foreach ($key in $Headers.Keys) {
            $headerTable[[string]$key] = [string]$Headers[$key]
        }
    }
    if ($null -ne $Credential) {
        $pair = '{0}:{1}' -f $Credential.UserName, $Credential.GetNetworkCredential().Password
        $headerTable['Authorization'] = 'Basic ' + [System.Convert]::ToBase64String([System.Text.Encoding]::UTF8.GetBytes($pair))
    }
    if ($headerTable.Count -gt 0) {
        $options.headers = $headerTable
    }

    if ($SubProtocol.Count -gt 0) {
        $options.subprotocols = @($SubProtocol)
    }

    $options.connectTimeoutMs = ConvertTo-PodeWsMilliseconds $ConnectTimeout
    $options.pingIntervalMs = ConvertTo-PodeWsMilliseconds $PingInterval
    $options.pongTimeoutMs = ConvertTo-PodeWsMilliseconds $PingTimeout

    if ($Reconnect) {
        $options.reconnect = [ordered]@{
            enabled        = $true
            initialDelayMs = ConvertTo-PodeWsMilliseconds $ReconnectDelay
            maxDelayMs     = ConvertTo-PodeWsMilliseconds $ReconnectMaxDelay
            maxAttempts    = $ReconnectMaxAttempts
        }
    }

    if ($MaxMessageSize -gt 0) {
        # one limit for the user: a single frame may be as large as a whole message
        $options.maxMessageSize = $MaxMessageSize
        $options.maxFrameSize = $MaxMessageSize
    }

    $tls = [ordered]@{}
    if ($SkipCertificateCheck) {
        $tls.skipVerify = $true
    }
    if ($TrustedCertificate.Count -gt 0) {
        $tls.caPem = (@($TrustedCertificate | ForEach-Object { $_.ExportCertificatePem() }) -join "`n") + "`n"
    }
    if ($null -ne $Certificate) {
        # the certificate crosses to the native TLS stack as PKCS#12 under a one-time password
        $password = [System.Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(24))
        $pkcs12 = $Certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pkcs12, $password)
        $tls.clientPkcs12Base64 = [System.Convert]::ToBase64String($pkcs12)
        $tls.clientPkcs12Password = $password
    }
    if ($tls.Count -gt 0) {
        $options.tls = $tls
    }

    if (![string]::IsNullOrWhiteSpace($Proxy)) {
        $proxyTable = [ordered]@{ url = $Proxy }
        if ($null -ne $ProxyCredential) {
            $proxyTable.username = $ProxyCredential.UserName
            $proxyTable.password = $ProxyCredential.GetNetworkCredential().Password
        }
        $options.proxy = $proxyTable
    }

    if ($ManualReceive) {
        $options.manualReceive = $true
    }

    return (ConvertTo-Json -InputObject $options -Depth 5 -Compress)
}

function ConvertTo-PodeWsMilliseconds {
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [double]
        $Seconds
    )

    return [long][System.Math]::Ceiling($Seconds * 1000)
}
