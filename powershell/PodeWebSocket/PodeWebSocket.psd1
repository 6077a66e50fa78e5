@{
    RootModule           = 'PodeWebSocket.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0d6c4e-8a51-4f4e-9a57-6d2f1c3b7e90'
    Author               = 'PodeWebSocket contributors'
    CompanyName          = 'PodeWebSocket'
    Copyright            = '(c) 2026 PodeWebSocket contributors. MIT License (the LICENSE file).'
    Description          = "A fast, dependable WebSocket client for PowerShell: Pode's Connect-PodeWebSocket and companions on a native (Rust) core."
    # the glue (bin/PodeWebSocket.dll) is built for .NET 10, which PowerShell 7.6 runs on
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')
    FunctionsToExport    = @(
        'Connect-PodeWebSocket'
        'Disconnect-PodeWebSocket'
        'Get-PodeWebSocket'
        'Get-PodeWebSocketEvent'
        'Receive-PodeWebSocket'
        'Remove-PodeWebSocket'
        'Reset-PodeWebSocket'
        'Send-PodeWebSocket'
        'Set-PodeWebSocketConcurrency'
        'Test-PodeWebSocket'
    )
    # views of Get-PodeWebSocket, Get-PodeWebSocketEvent, Receive-PodeWebSocket and $WsEvent
    FormatsToProcess     = @('PodeWebSocket.Format.ps1xml')
    CmdletsToExport      = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            # scripts/package.sh adds the platforms (Linux, MacOS, Windows) of the lib/<rid>/ folders
            # the package holds; this list names none, since a source tree holds only what was built
            Tags         = @('WebSocket', 'Pode', 'Client', 'PSEdition_Core')
            ProjectUri   = 'https://github.com/PodeWebSocket/PodeWebSocket'
            LicenseUri   = 'https://github.com/PodeWebSocket/PodeWebSocket/blob/main/LICENSE'
            ReleaseNotes = @'
0.1.0, the first release: Connect-, Send-, Disconnect-, Reset-, Remove-, Test-PodeWebSocket and
Set-PodeWebSocketConcurrency with Pode's names, parameters and $WsEvent, plus Get- and
Receive-PodeWebSocket; messages in order per connection, reconnect with backoff, ping keepalive,
TLS options, HTTP and SOCKS5 proxies, redirects, permessage-deflate. Native core in Rust.
'@
        }
    }
}
