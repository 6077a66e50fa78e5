<#
.SYNOPSIS
The quick-start demo: an echo server shipped with the project, and PodeWebSocket talking to it.

.DESCRIPTION
Starts examples/echo_server (built by scripts/demo.sh) on a free loopback port, imports the module
from this checkout, connects with Connect-PodeWebSocket, sends a string, a hashtable and bytes,
prints what the handler receives through $WsEvent, shows Get-PodeWebSocket, resets the connection
to a new URL, disconnects and removes it, stops the server and exits 0.

.PARAMETER ServerPath
The echo_server binary (default: target/release/examples/echo_server under the repository).
#>
param(
    [string] $ServerPath = (Join-Path $PSScriptRoot '../target/release/examples/echo_server')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

function Start-EchoServer([string] $Path) {
    # --exit-on-stdin-close: the server ends with this script, whatever happens to it.
    $psi = [System.Diagnostics.ProcessStartInfo]::new((Resolve-Path -LiteralPath $Path).Path)
    $psi.ArgumentList.Add('--exit-on-stdin-close')
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $line = $process.StandardOutput.ReadLine()
    if ($line -notmatch '^LISTENING (\d+)$') { throw "the echo server did not start: '$line'" }
    return [pscustomobject]@{ Process = $process; Port = [int]$Matches[1] }
}

function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 10) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "timed out waiting for $What" }
        Start-Sleep -Milliseconds 20
    }
}

$server = Start-EchoServer -Path $ServerPath
try {
    Import-Module (Join-Path $PSScriptRoot '../powershell/PodeWebSocket/PodeWebSocket.psd1') -Force
    $url = "ws://127.0.0.1:$($server.Port)/echo"
    Write-Host "== echo server listening on ws://127.0.0.1:$($server.Port)"

    # The handler runs in a dispatcher runspace: it reports back through a thread-safe queue.
    $seen = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    Connect-PodeWebSocket -Name 'Demo' -Url $url -ContentType 'application/json' -ScriptBlock {
        $request = $WsEvent.Request
        $data = if ($WsEvent.Data -is [hashtable]) { ($WsEvent.Data.GetEnumerator() | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.Value)" }) -join ', ' } else { "$($WsEvent.Data)" }
        $line = "[{0}] {1,-6} {2,3} bytes  Body='{3}'  Data: {4}  at {5:HH:mm:ss.fff} UTC" -f $request.WebSocket.Name, $request.Type, $request.ContentLength, $request.Body, $data, $WsEvent.Timestamp
        Write-Host $line
        ($using:seen).Enqueue($line)
    } -OnOpen {
        Write-Host "[$($WsEvent.Request.WebSocket.Name)] opened $($WsEvent.Data.Url)"
    } -OnClose {
        Write-Host "[$($WsEvent.Request.WebSocket.Name)] closed: code $($WsEvent.Data.Code) by $($WsEvent.Data.ClosedBy) '$($WsEvent.Data.Reason)'"
    }
    Write-Host "== connected: Test-PodeWebSocket -Name Demo -> $(Test-PodeWebSocket -Name 'Demo')"

    Send-PodeWebSocket -Name 'Demo' -Message '{"greeting":"hello"}'
    Send-PodeWebSocket -Name 'Demo' -Message @{ symbol = 'EURUSD'; price = 1.0842 }
    Send-PodeWebSocket -Name 'Demo' -Message ([byte[]](0x50, 0x6f, 0x64, 0x65)) -Type Binary
    Wait-Until { $seen.Count -ge 3 } 'three echoes'

    Write-Host '== Get-PodeWebSocket -Name Demo'
    Get-PodeWebSocket -Name 'Demo' | Select-Object Name, Url, State, ContentType, MessagesIn, MessagesOut, BytesIn, BytesOut | Format-List | Out-Host

    Write-Host '== Reset-PodeWebSocket to a new URL'
    Reset-PodeWebSocket -Name 'Demo' -Url "ws://127.0.0.1:$($server.Port)/"
    Send-PodeWebSocket -Name 'Demo' -Message @{ after = 'reset' }
    Wait-Until { $seen.Count -ge 4 } 'the echo after the reset'

    Write-Host '== Disconnect-PodeWebSocket'
    Disconnect-PodeWebSocket -Name 'Demo' -Code 1000 -Reason 'demo done'
    Write-Host "state after disconnect: $((Get-PodeWebSocket -Name 'Demo').State)"
    Remove-PodeWebSocket -Name 'Demo'
    Write-Host "removed: Test-PodeWebSocket -Name Demo -> $(Test-PodeWebSocket -Name 'Demo')"
    Write-Host '== demo finished'
}
finally {
    $server.Process.StandardInput.Close()
    if (-not $server.Process.WaitForExit(5000)) { $server.Process.Kill() }
}
