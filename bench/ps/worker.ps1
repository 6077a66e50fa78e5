# A benchmark worker: one pwsh process holding one peer, driven by bench/run.py.
#
#   pwsh -NoProfile -File bench/ps/worker.ps1 -Peer ours|pode|floor|pode_real -GlueDir <dir>
#        [-ModulePath <psd1>] [-PodeModule <Pode.psd1> -StartUrl <ws://...>]
#
# `pode` is peer P (Pode-like), `pode_real` the real Pode 2.14.0 (peer "Pode"): its worker runs the
# command loop inside Start-PodeServer, where Connect-PodeWebSocket works. Pode starts its WebSocket
# consumer runspaces only for a server that has a connection at start, so the server script opens
# one (to -StartUrl) and keeps it open.
#
# Protocol (stdin/stdout, one line each): prints "READY <pid>", then for every JSON command line
# {"op": "...", ...} prints "RESULT <json>". A command with "sync": true first prints "SYNC" and
# waits for one stdin line before its measured phase (the runner attaches perf to count syscalls
# of exactly that phase). Anything else the process writes goes to stderr.
#
# Every peer runs the same handler scriptblocks (bench/ps/Handlers.ps1) and reports to the same
# static BenchProbe, so per-message handler work is identical; what differs is only how the
# message reaches the handler.
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [ValidateSet('ours', 'pode', 'floor', 'pode_real')]
    [string] $Peer,

    [Parameter(Mandatory = $true)]
    [string] $GlueDir,

    [string] $ModulePath,

    [string] $PodeModule,

    [string] $StartUrl
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Off
Add-Type -Path (Join-Path $GlueDir 'BenchProbe.dll')
. (Join-Path $PSScriptRoot 'Handlers.ps1')
. (Join-Path $PSScriptRoot 'Measure.ps1')

switch ($Peer) {
    'pode' {
        Add-Type -Path (Join-Path $GlueDir 'PodeLike.dll')
        . (Join-Path $PSScriptRoot 'PodeLike.ps1')
        . (Join-Path $PSScriptRoot 'Peer.PodeLike.ps1')
    }
    'ours' {
        Import-Module $ModulePath -Force
        . (Join-Path $PSScriptRoot 'Peer.Ours.ps1')
    }
    'floor' {
        . (Join-Path $PSScriptRoot 'Floor.ps1')
    }
    'pode_real' {
        Import-Module $PodeModule -Force
        . (Join-Path $PSScriptRoot 'Peer.Pode.ps1')
    }
}
. (Join-Path $PSScriptRoot 'Scenarios.ps1')

function Write-Line([string] $Text) {
    [Console]::Out.WriteLine($Text)
    [Console]::Out.Flush()
}

function Invoke-BenchCommandLoop {
    Write-Line "READY $PID"
    while ($null -ne ($line = [Console]::In.ReadLine())) {
        if ([string]::IsNullOrWhiteSpace($line)) { continue }
        $command = $line | ConvertFrom-Json -AsHashtable
        if ($command.op -eq 'quit') { break }
        try {
            $op = $command.op
            $command.Remove('op')
            $failedBefore = [int]$script:BenchPodeDisconnectErrors
            $result = & "Invoke-Bench$op" @command
            if ($Peer -eq 'pode_real' -and $result -is [hashtable]) {
                # the real Pode's Disconnect-PodeWebSocket calls that failed during this command (Peer.Pode.ps1)
                $result.disconnect_failures = [int]$script:BenchPodeDisconnectErrors - $failedBefore
            }
        }
        catch {
            $result = @{ error = "$($_.Exception.Message) at $($_.InvocationInfo.PositionMessage)" }
        }
        Write-Line ('RESULT ' + ($result | ConvertTo-Json -Compress -Depth 6))
    }
}

if ($Peer -eq 'pode_real') {
    # The loop runs in the Running event, once Pode's consumer runspaces are up; it never returns
    # to Pode (the process exits below when the runner closes stdin).
    Start-PodeServer -Quiet -DisableTermination -DisableConsoleInput -ScriptBlock {
        Connect-PodeWebSocket -Name 'bench-start' -Url $StartUrl -ScriptBlock { } -ContentType 'text/plain'
        Register-PodeEvent -Type Running -Name 'bench' -ScriptBlock {
            try { Invoke-BenchCommandLoop }
            finally { [Environment]::Exit(0) }
        }
    }
}
else {
    Invoke-BenchCommandLoop
}

# stdin closed or "quit": stop the peer's threads and leave at once (a background runspace or
# a native thread must not keep the process alive after the runner is gone).
try {
    if ($Peer -eq 'pode') { Stop-PLReceiver }
}
finally {
    [Environment]::Exit(0)
}
