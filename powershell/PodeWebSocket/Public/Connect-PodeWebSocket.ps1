<#
.SYNOPSIS
Connects to an external WebSocket server and runs a script block for every message it sends.

.DESCRIPTION
Connects to a ws:// or wss:// URL under a unique -Name and blocks until the opening handshake
succeeded (or failed: then nothing stays registered and the error names the cause); with -NoWait
it returns at once and connects in the background. Redirects of the handshake are followed (up to
-MaximumRedirection), and proxies are taken from the environment as .NET does. Every message
received runs the -ScriptBlock (or the script in -FilePath) in a dispatcher runspace, with
$WsEvent describing the message, exactly as in Pode:

  $WsEvent.Request.Body           the message as a UTF-8 string
  $WsEvent.Request.RawBody        the message bytes (byte[])
  $WsEvent.Request.ContentLength  the number of bytes
  $WsEvent.Request.Type           'Text' or 'Binary' (the frame type)
  $WsEvent.Request.ContentEncoding  UTF-8 (the encoding of Body)
  $WsEvent.Request.WebSocket      Name, URL ([uri]), ContentType, IsConnected, SubProtocol, Items
  $WsEvent.Data                   the body parsed by -ContentType (JSON → hashtable, XML → [xml],
                                  CSV → objects, form-urlencoded → hashtable, else the string;
                                  an empty body → @{}); parsed on first read
  $WsEvent.Files                  @{}
  $WsEvent.Lockable               a shared lockable object (Pode's global lockable in a Pode server)
  $WsEvent.Timestamp              when the message was received ([datetime], UTC)
  $WsEvent.Metadata               @{} for your own use

Messages of one connection are handled one at a time, in order; different connections are handled
in parallel by up to Set-PodeWebSocketConcurrency dispatcher runspaces (default 2). Inside a
handler, Send-, Disconnect-, Reset- and Remove-PodeWebSocket do not need -Name. A handler that
throws does not stop anything: the error is shown on the host and recorded (Get-PodeWebSocket).

Handlers run in their own runspaces: use $using:variables (captured when you connect) or
-ArgumentList to pass values in. Variables a handler assigns start fresh for every message, as in
Pode. State that must live across messages goes in $WsEvent.Request.WebSocket.Items: a
hashtable per connection (kept across reconnects and resets), seen by all of that connection's
handlers and by no other connection.

Without -ScriptBlock, -FilePath and -OnOpen/-OnClose/-OnError, messages are kept (up to the queue
limit, after which the socket is no longer read) for Receive-PodeWebSocket.

When Pode is loaded and a Pode server is running, handlers run in runspaces made from Pode's
runspace state, so Pode's commands (e.g. Send-PodeSignal) and $PodeContext work in them.

.PARAMETER Name
The unique name of the connection (names are compared case-insensitively, process-wide).

.PARAMETER Url
The URL of the WebSocket server; it must start with ws:// or wss://.

.PARAMETER ScriptBlock
The script block run for every message received, with $WsEvent.

.PARAMETER FilePath
A path (absolute, or relative to the current location) to a .ps1 file whose content is the
handler, used instead of -ScriptBlock.

.PARAMETER ContentType
The content type used to parse received messages into $WsEvent.Data and to convert non-string
messages sent with Send-PodeWebSocket. Parameters after ';' are ignored. Default: application/json.

.PARAMETER ArgumentList
Arguments passed to the handler scripts (bound to their param() block, else in $args).

.PARAMETER Headers
Extra HTTP headers for the opening handshake, e.g. @{ 'X-Api-Key' = '...' }.

.PARAMETER SubProtocol
Subprotocols to offer (Sec-WebSocket-Protocol), in order of preference; the server's choice is in
$WsEvent.Request.WebSocket.SubProtocol and Get-PodeWebSocket.

.PARAMETER Credential
Sends an HTTP Basic Authorization header built from this credential.

.PARAMETER SkipCertificateCheck
Accepts any server certificate and host name for wss:// (only for testing).

.PARAMETER Certificate
A client certificate (with its private key) for servers that require one.

.PARAMETER TrustedCertificate
Extra CA certificates to trust for wss:// (e.g. a private CA), in addition to the system's.

.PARAMETER Proxy
A proxy to connect through: http://host:port (HTTP CONNECT), socks5://host:port (the target's
address resolved here) or socks5h://host:port (resolved by the proxy). Without -Proxy, the proxy
variables as PowerShell sees them ($env:HTTPS_PROXY for wss://, $env:HTTP_PROXY for ws://,
$env:ALL_PROXY, lower-case names first; $env:NO_PROXY lists hosts that go direct) choose the
proxy, as for .NET's HttpClient; on Windows and macOS, when none of them is set, the system proxy
settings do (HttpClient.DefaultProxy).

.PARAMETER NoProxy
Connects directly: no proxy from the environment or the system settings.

.PARAMETER ProxyCredential
The user name and password for the proxy in use (-Proxy, or the one the environment names,
replacing credentials in the variable's URL). When no proxy applies to the URL, the connect fails
with PodeWebSocket.InvalidOptions.

.PARAMETER MaximumRedirection
How many redirects (301, 302, 303, 307, 308) of the opening handshake are followed (as
Invoke-WebRequest: default 5; 0 follows none). Never from wss:// to ws://; Authorization (and
-Credential) and Cookie are dropped once a redirect changes the host or port. A redirect not
followed fails with PodeWebSocket.Redirect naming the Location (its query redacted).

.PARAMETER NoCompression
Offers no compression. By default permessage-deflate (RFC 7692) is offered, and used when the
server accepts it.

.PARAMETER ReuseRawBody
Uses the arrays of large binary messages (1 MiB and more) again as soon as the handler has moved
on to the next message, instead of leaving them to .NET's garbage collector: for a stream of large
binary messages, far less memory and a faster handler loop (no collections to find them). The
price: $WsEvent.Request.RawBody of such a message is valid only while the handler handles it.
Afterwards the array may hold another message's bytes, and a $WsEvent kept past its handler shows
an empty RawBody (and an empty Body and Data, unless the handler read them; ContentLength stays).
Copy what you keep ($WsEvent.Request.RawBody.Clone()). Text messages and smaller messages are not
affected. Needs -ScriptBlock or -FilePath: without a handler (Receive-PodeWebSocket) it is refused.

.PARAMETER NoWait
Returns at once (state Connecting) and connects in the background; -OnOpen runs when it opens.
With -Reconnect, transient failures of this first connect (refused, DNS, timeout, network, proxy,
HTTP 408/429/5xx) are retried with the backoff; a permanent one (invalid URL, HTTP 400/401/403/404,
an untrusted certificate, a bad subprotocol, a redirect not followed) ends it at once. A failure
runs -OnError and leaves the connection registered in state Closed (Reset-PodeWebSocket tries
again); without -OnError, the first failed attempt and the end are written to the host, and
Get-PodeWebSocket shows State and LastError. Invalid arguments still fail the command itself.

.PARAMETER ConnectTimeout
Seconds allowed for DNS, TCP, proxy, TLS and the opening handshake together. Default: 30.

.PARAMETER PingInterval
Seconds of silence after which a ping is sent; 0 disables keepalive. Default: 30.

.PARAMETER PingTimeout
Seconds to wait for the server after a ping before the connection counts as lost. Default: 10.

.PARAMETER CloseTimeout
Seconds a close (Disconnect-, Reset-, Remove-PodeWebSocket) waits for the server to answer the
close frame before the connection is dropped. Default: 5.

.PARAMETER Reconnect
Reconnects automatically (with exponential backoff and jitter) when the connection is lost or
closed by the server. Transient failures are retried; a permanent failure (HTTP 400/401/403/404,
an untrusted certificate, a bad subprotocol, a redirect not followed) stops reconnecting at once
(-OnError, then state Closed); Retry-After on 429/503 is honoured (capped by -ReconnectMaxDelay).
Reset-PodeWebSocket and Disconnect-PodeWebSocket still work.

.PARAMETER ReconnectDelay
Seconds before the first reconnect attempt; each further attempt doubles it. Default: 1.

.PARAMETER ReconnectMaxDelay
The largest delay between reconnect attempts, in seconds. Default: 30.

.PARAMETER ReconnectMaxAttempts
Gives up after this many failed attempts in a row; 0 means never. Default: 0.

.PARAMETER MaxMessageSize
The largest message accepted, in bytes; a larger one closes the connection with 1009. Default: 64 MiB.

.PARAMETER OnOpen
A script block run when the connection opens (also after a reconnect or reset), with
$WsEvent.Data = @{ Url; SubProtocol }.

.PARAMETER OnClose
A script block run when the connection closes, with $WsEvent.Data = @{ Code; Reason; ClosedBy }
(ClosedBy: Local, Remote or Lost).

.PARAMETER OnError
A script block run when the connection reports an error (e.g. a failed reconnect attempt or a
message too large), with $WsEvent.Data = @{ Message; ErrorId }. Giving up after
-ReconnectMaxAttempts is PodeWebSocket.ReconnectGaveUp.

.PARAMETER OnReconnecting
A script block run before every reconnect attempt (needs -Reconnect), while the backoff delay
runs, with $WsEvent.Data = @{ Attempt; Delay (seconds); Cause (why: the last failure, or how the
server closed); ErrorId (of the cause; $null after a clean close by the server); Url (the URL the
attempt will use) }. The attempt waits for it (at most -ConnectTimeout after the delay). The last
object it outputs decides the attempt: nothing connects as before; a string or [uri] connects to
that URL; @{ Url = ...; Headers = @{ Name = 'value' } } changes the URL and/or headers (a header
set to $null is removed). A URL or headers returned stay in effect for later attempts and
resets. If it throws, that attempt fails with the error's message (ErrorId
PodeWebSocket.ReconnectHandlerFailed, reported to -OnError; the error is also recorded as a
handler error) and the backoff goes on; an answer of another shape or an invalid URL fails the
attempt the same way.

.EXAMPLE
Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock { $WsEvent.Request | Out-Default }

Writes every message received to the console.

.EXAMPLE
Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock { Send-PodeWebSocket -Message (@{ message = $WsEvent.Request.Body } | ConvertTo-Json -Compress) }

Answers every message; -Name is not needed inside the handler.

.EXAMPLE
$prefix = 'got'
Connect-PodeWebSocket -Name 'Feed' -Url 'wss://example.com/feed' -ContentType 'application/json' -ScriptBlock {
    param($Target)
    Write-Host "$($using:prefix) $($WsEvent.Data.price) for $Target"
} -ArgumentList 'EURUSD'

Uses a $using: variable and an argument; $WsEvent.Data is the parsed JSON.

.EXAMPLE
Connect-PodeWebSocket -Name 'Api' -Url 'wss://api.example.com/ws' -Headers @{ 'X-Api-Key' = $key } -SubProtocol 'v2.json' -Reconnect -ReconnectMaxDelay 60 -OnClose { Write-Warning "closed: $($WsEvent.Data.Code) $($WsEvent.Data.Reason)" } -FilePath ./handlers/api.ps1

A header, a subprotocol, automatic reconnects, a close handler and a handler script file.

.EXAMPLE
$appToken = $env:SLACK_APP_TOKEN
Connect-PodeWebSocket -Name 'Slack' -Url (Get-SlackSocketUrl) -Reconnect -NoWait -OnReconnecting {
    # Slack Socket Mode: every connection needs a fresh URL from apps.connections.open
    (Invoke-RestMethod -Method Post -Uri 'https://slack.com/api/apps.connections.open' -Headers @{ Authorization = "Bearer $using:appToken" }).url
} -ScriptBlock { Write-Host $WsEvent.Data.type }

Connects in the background, retrying until it opens; every reconnect gets a fresh URL.
Get-SlackSocketUrl stands for the script's own function that makes the same call for the first URL.

.EXAMPLE
Connect-PodeWebSocket -Name 'Frames' -Url 'ws://camera.local/stream' -ContentType 'application/octet-stream' -ReuseRawBody -ScriptBlock {
    $hash = [System.Convert]::ToHexString([System.Security.Cryptography.SHA256]::HashData($WsEvent.Request.RawBody))
    Send-PodeWebSocket -Message "got $($WsEvent.Request.ContentLength) bytes, SHA-256 $hash"
}

Answers every large binary message with its hash; the message arrays are used again for the next
messages (the handler keeps none of them).

.EXAMPLE
Connect-PodeWebSocket -Name 'Totals' -Url 'wss://example.com/trades' -ScriptBlock {
    $state = $WsEvent.Request.WebSocket.Items
    $state['Count'] = 1 + $state['Count']
    $state['Total'] = $WsEvent.Data.amount + $state['Total']
    Write-Host "trade $($state['Count']): running total $($state['Total'])"
}

A sequence number and a running total kept across messages, per connection.

.EXAMPLE
$env:HTTPS_PROXY = 'http://proxy.corp:3128'
$env:NO_PROXY = 'internal.corp'
Connect-PodeWebSocket -Name 'Feed' -Url 'wss://feed.example.com/ws' -Verbose

Connects through the proxy the environment names; -Verbose shows each step of the connect (proxy,
DNS, TCP, tunnel, TLS, HTTP upgrade, redirects, compression) as it happens.

.EXAMPLE
Connect-PodeWebSocket -Name 'Probe' -Url 'ws://localhost:8091'
Send-PodeWebSocket -Name 'Probe' -Message 'ping'
(Receive-PodeWebSocket -Name 'Probe' -Timeout 5).Request.Body

No handler: messages are pulled with Receive-PodeWebSocket.

.INPUTS
None.

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.InvalidUrl, .DnsFailure, .ConnectionRefused, .TlsUntrusted, .Tls,
.HandshakeRejected, .Redirect, .Timeout, .NameInUse, .Proxy, .Network, .Protocol, .InvalidOptions,
.InvalidArgument, .UsingVariableNotFound, .InvalidScript, .FileNotFound (the ErrorId; the message
is the cause). -Verbose writes the connect trace.

.LINK
Send-PodeWebSocket

.LINK
Receive-PodeWebSocket

.LINK
Get-PodeWebSocket
#>
function Connect-PodeWebSocket {
    [CmdletBinding(DefaultParameterSetName = 'Script')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $Name,

        [Parameter(Mandatory = $true)]
        [ValidateNotNullOrEmpty()]
        [string]
        $Url,

        [Parameter(ParameterSetName = 'Script')]
        [scriptblock]
        $ScriptBlock,

        [Parameter(Mandatory = $true, ParameterSetName = 'File')]
        [ValidateNotNullOrEmpty()]
        [string]
        $FilePath,

        [Parameter()]
        [string]
        $ContentType = 'application/json',

        [Parameter()]
        [object[]]
        $ArgumentList,

        [Parameter()]
        [hashtable]
        $Headers,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string[]]
        $SubProtocol,

        [Parameter()]
        [pscredential]
        $Credential,

        [switch]
        $SkipCertificateCheck,

        [Parameter()]
        [System.Security.Cryptography.X509Certificates.X509Certificate2]
        $Certificate,

        [Parameter()]
        [System.Security.Cryptography.X509Certificates.X509Certificate2[]]
        $TrustedCertificate,

        [Parameter()]
        [string]
        $Proxy,

        [switch]
        $NoProxy,

        [Parameter()]
        [pscredential]
        $ProxyCredential,

        [Parameter()]
        [ValidateRange(0, 100)]
        [int]
        $MaximumRedirection = 5,

        [switch]
        $NoCompression,

        [switch]
        $ReuseRawBody,

        [switch]
        $NoWait,

        [Parameter()]
        [ValidateRange(0.001, 86400)]
        [double]
        $ConnectTimeout = 30,

        [Parameter()]
        [ValidateRange(0, 86400)]
        [double]
        $PingInterval = 30,

        [Parameter()]
        [ValidateRange(0.001, 86400)]
        [double]
        $PingTimeout = 10,

        [Parameter()]
        [ValidateRange(0.001, 86400)]
        [double]
        $CloseTimeout = 5,

        [switch]
        $Reconnect,

        [Parameter()]
        [ValidateRange(0, 86400)]
        [double]
        $ReconnectDelay = 1,

        [Parameter()]
        [ValidateRange(0, 86400)]
        [double]
        $ReconnectMaxDelay = 30,

        [Parameter()]
        [ValidateRange(0, [int]::MaxValue)]
        [int]
        $ReconnectMaxAttempts = 0,

        [Parameter()]
        [ValidateRange(1, [long]::MaxValue)]
        [long]
        $MaxMessageSize = 64MB,

        [Parameter()]
        [scriptblock]
        $OnOpen,

        [Parameter()]
        [scriptblock]
        $OnClose,

        [Parameter()]
        [scriptblock]
        $OnError,

        [Parameter()]
        [scriptblock]
        $OnReconnecting
    )

    # Every failure ends the command (as in Pode) with the cause; nothing stays registered.
    $fail = { param($ErrorId, $Category, $Message) $PSCmdlet.ThrowTerminatingError((New-PodeWsErrorRecord -ErrorId $ErrorId -Category $Category -Message $Message -Name $Name)) }

    if ($PSCmdlet.ParameterSetName -ieq 'File') {
        $path = $PSCmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath($FilePath)
        if (!(Test-Path -LiteralPath $path -PathType Leaf)) {
            & $fail 'FileNotFound' 'ObjectNotFound' "the handler file '$FilePath' does not exist."
        }
        $tokens = $null
        $parseErrors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref]$tokens, [ref]$parseErrors)
        if ($parseErrors.Count -gt 0) {
            & $fail 'InvalidScript' 'InvalidData' "the handler file '$FilePath' does not parse: $($parseErrors[0].Message) (line $($parseErrors[0].Extent.StartLineNumber))"
        }
        $ScriptBlock = $ast.GetScriptBlock()
    }
    if ($ReconnectDelay -gt $ReconnectMaxDelay) {
        & $fail 'InvalidArgument' 'InvalidArgument' "-ReconnectDelay ($ReconnectDelay s) must not exceed -ReconnectMaxDelay ($ReconnectMaxDelay s)."
    }
    if (($null -ne $Credential) -and ($null -ne $Headers) -and (@($Headers.Keys | Where-Object { "$_" -ieq 'Authorization' }).Count -gt 0)) {
        & $fail 'InvalidArgument' 'InvalidArgument' 'use either -Credential or an Authorization header in -Headers, not both.'
    }
    if ($NoProxy -and ![string]::IsNullOrWhiteSpace($Proxy)) {
        & $fail 'InvalidArgument' 'InvalidArgument' 'use either -Proxy or -NoProxy, not both.'
    }
    if (($null -ne $OnReconnecting) -and !$Reconnect) {
        & $fail 'InvalidArgument' 'InvalidArgument' '-OnReconnecting runs before reconnect attempts: it needs -Reconnect.'
    }
    if ($ReuseRawBody -and ($null -eq $ScriptBlock)) {
        & $fail 'InvalidArgument' 'InvalidArgument' '-ReuseRawBody hands arrays back once the message handler moved on: it needs -ScriptBlock or -FilePath (Receive-PodeWebSocket hands out arrays that are yours to keep).'
    }
    if (($null -ne $Certificate) -and !$Certificate.HasPrivateKey) {
        & $fail 'InvalidArgument' 'InvalidArgument' "the client certificate '$($Certificate.Subject)' has no private key."
    }

    # A Pode server that restarted runs its script again: its old connection of this name goes.
    $flavor = Get-PodeWsServerFlavor
    $existing = [PodeWebSocket.Registry]::Find($Name)
    if (($null -ne $flavor) -and ($null -ne $existing) -and ($null -ne $existing.PodeServer) -and
        ![object]::ReferenceEquals($existing.PodeServer, $flavor.Server) -and $existing.PodeServer.IsCancellationRequested) {
        [PodeWebSocket.Client]::Cancel($Name)
    }

    # handlers are compiled now: a syntax error or a missing $using: variable fails the connect
    $definition = [PodeWebSocket.ConnectionDefinition]::new($Name, $Url, $ContentType, $ArgumentList)
    $caller = $PSCmdlet.SessionState
    foreach ($handler in @(@('Message', $ScriptBlock), @('Open', $OnOpen), @('Close', $OnClose), @('Error', $OnError), @('Reconnecting', $OnReconnecting))) {
        $failure = $definition.TrySetHandler($handler[0], $handler[1], $caller)
        if ($null -ne $failure) {
            $PSCmdlet.ThrowTerminatingError($failure.ToErrorRecord())
        }
    }
    if ($null -ne $flavor) {
        $definition.PodeServer = $flavor.Server
    }
    $definition.Background = $NoWait.IsPresent
    $definition.Reconnect = $Reconnect.IsPresent
    $definition.ReuseRawBody = $ReuseRawBody.IsPresent
    # every connection records its connect trace: -Verbose here and on Reset/Disconnect/Remove shows it
    $definition.Trace = [PodeWebSocket.ConnectTrace]::Create()

    $options = [PodeWebSocket.ConnectOptions]@{
        Headers                  = $Headers
        SubProtocols             = $SubProtocol
        Credential               = $Credential
        ConnectTimeoutSeconds    = $ConnectTimeout
        PingIntervalSeconds      = $PingInterval
        PingTimeoutSeconds       = $PingTimeout
        CloseTimeoutSeconds      = $CloseTimeout
        Reconnect                = $Reconnect.IsPresent
        ReconnectDelaySeconds    = $ReconnectDelay
        ReconnectMaxDelaySeconds = $ReconnectMaxDelay
        ReconnectMaxAttempts     = $ReconnectMaxAttempts
        MaxMessageSize           = $(if ($PSBoundParameters.ContainsKey('MaxMessageSize')) { $MaxMessageSize } else { 0 })
        SkipCertificateCheck     = $SkipCertificateCheck.IsPresent
        Certificate              = $Certificate
        TrustedCertificates      = $TrustedCertificate
        Proxy                    = $Proxy
        ProxyCredential          = $ProxyCredential
        ProxyFromEnvironment     = !$NoProxy
        MaximumRedirection       = $MaximumRedirection
        Compression              = !$NoCompression
        Background               = $NoWait.IsPresent
        AwaitReconnectTarget     = ($null -ne $OnReconnecting)
        TraceId                  = $definition.Trace.Id
        Url                      = $Url
        ManualReceive            = $definition.ManualReceive
    }
    $optionsJson = $null
    $failure = $options.TryToJson($Name, [ref]$optionsJson)
    if ($null -ne $failure) {
        $PSCmdlet.ThrowTerminatingError($failure.ToErrorRecord())
    }
    $verbose = $VerbosePreference -ne 'SilentlyContinue'
    if ($verbose -and ($null -ne $options.SystemProxyNote)) {
        Write-Verbose "proxy: $($options.SystemProxyNote)"
    }

    if ($definition.HasHandlers) {
        if ($null -eq $flavor) {
            $flavor = [PodeWebSocket.DispatcherFlavor]::Standalone()
        }
        [PodeWebSocket.Dispatcher]::EnsureRunning($Host, $script:PodeWsManifestPath, $flavor)
    }

    # the connect runs on a worker thread; waiting in slices keeps Ctrl+C responsive (a stopped
    # pipeline cancels it) and lets -Verbose show the trace as it happens. Inline, not
    # Wait-PodeWsTask: a function call costs a connect ~10%.
    $task = $null
    $failure = [PodeWebSocket.Client]::TryBeginConnect($definition, $Url, $optionsJson, [ref]$task)
    if ($null -eq $failure) {
        $settled = $false
        try {
            while (-not [PodeWebSocket.Client]::TryWait($task, 200, $Name, [ref]$failure)) {
                if ($verbose) {
                    foreach ($line in $definition.Trace.ReadNew()) { Write-Verbose $line }
                }
            }
            $settled = $true
        }
        finally {
            if (-not $settled) {
                [PodeWebSocket.Client]::Cancel($Name)
            }
        }
    }
    if ($verbose) {
        # the last lines (open, or the failure: a failed connect's trace outlives it)
        foreach ($line in $definition.Trace.ReadNew()) { Write-Verbose $line }
    }
    if ($null -ne $failure) {
        $PSCmdlet.ThrowTerminatingError($failure.ToErrorRecord())
    }
}
