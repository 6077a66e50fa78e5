@{
    RootModule           = 'PodeWebSocket.psm1'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0d6c4e-8a51-4f4e-9a57-6d2f1c3b7e90'
    Author               = 'PodeWebSocket contributors'
    CompanyName          = 'PodeWebSocket'
    Copyright            = '(c) PodeWebSocket contributors. MIT License.'
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
            Tags       = @('WebSocket', 'Pode', 'Client', 'PSEdition_Core', 'Windows', 'Linux', 'MacOS')
        }
    }
}
