<#
.SYNOPSIS
    Autobahn TestSuite client through the PodeWebSocket module: every case the fuzzing server
    offers is run with a handler that echoes each message back with its frame type.

.DESCRIPTION
    Started by scripts/conformance.sh against a kosoku fuzzing server that serves the 1.*, 2.*,
    5.* and 6.* cases. Asks the server for the case count, runs each case on its own connection
    (case1, case2, ...; a handshake the case refuses on purpose is reported and skipped), waits
    until the server closed it, removes it, and finally asks the server to write its reports.
    The reports are judged by tests/conformance/judge.py, not here.

    Exit code 0 once every case was driven; 1 when the module or the server could not be used.

.PARAMETER Url
    The fuzzing server's base URL, e.g. ws://127.0.0.1:9001.

.PARAMETER Agent
    The agent name the reports are written under.

.PARAMETER ModulePath
    The module manifest to import.

.PARAMETER CaseTimeoutSeconds
    A case whose connection is still open after this long is removed, so the run cannot hang.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)]
    [string] $Url,

    [string] $Agent = 'PodeWebSocket',

    [string] $ModulePath = (Join-Path $PSScriptRoot '../../powershell/PodeWebSocket/PodeWebSocket.psd1'),

    [int] $CaseTimeoutSeconds = 60
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath -Force

$base = $Url.TrimEnd('/')

# Whether the connection is still open or connecting. Test-PodeWebSocket cannot tell: like
# Pode's, it tests whether the name exists, and a closed connection keeps its name until removed.
function Test-CaseOpen {
    param([string] $Name)
    $ws = Get-PodeWebSocket -Name $Name -ErrorAction SilentlyContinue
    return ($null -ne $ws) -and ("$($ws.State)" -ne 'Closed')
}

# Waits, with a deadline, until the server closed the connection.
function Wait-CaseClosed {
    param([string] $Name, [int] $TimeoutSeconds)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (Test-CaseOpen -Name $Name) {
        if ([DateTime]::UtcNow -ge $deadline) {
            return $false
        }
        Start-Sleep -Milliseconds 10
    }
    return $true
}

# --- the case count: the server sends it as one text message, then closes --------------------
$state = [hashtable]::Synchronized(@{ Count = $null })
Connect-PodeWebSocket -Name 'autobahn-case-count' -Url "$base/getCaseCount" -ContentType 'text/plain' -ScriptBlock {
    ($using:state).Count = $WsEvent.Request.Body
}
# the handler runs on a dispatcher, after the core may already have seen the close: wait for it
$deadline = [DateTime]::UtcNow.AddSeconds(30)
while (($null -eq $state.Count) -and ([DateTime]::UtcNow -lt $deadline)) {
    Start-Sleep -Milliseconds 10
}
$null = Wait-CaseClosed -Name 'autobahn-case-count' -TimeoutSeconds 30
Remove-PodeWebSocket -Name 'autobahn-case-count'
$count = 0
if (-not [int]::TryParse("$($state.Count)", [ref] $count) -or $count -le 0) {
    Write-Error "the server sent no case count (got '$($state.Count)')"
    exit 1
}
Write-Host "Invoke-PodeWsConformance: $count cases, agent '$Agent'"

# --- every case: echo each message back with the same frame type ------------------------------
$started = [Diagnostics.Stopwatch]::StartNew()
$abandoned = 0
for ($case = 1; $case -le $count; $case++) {
    $name = "case$case"
    try {
        Connect-PodeWebSocket -Name $name -Url "$base/runCase?case=$case&agent=$Agent" -ContentType 'text/plain' -ScriptBlock {
            if ($WsEvent.Request.Type -eq 'Binary') {
                Send-PodeWebSocket -Type Binary -Message $WsEvent.Request.RawBody
            }
            else {
                Send-PodeWebSocket -Message $WsEvent.Request.Body
            }
        }
    }
    catch {
        # Some cases refuse the opening handshake on purpose.
        Write-Host "case ${case}: connect failed: $($_.Exception.Message)"
        continue
    }
    if (-not (Wait-CaseClosed -Name $name -TimeoutSeconds $CaseTimeoutSeconds)) {
        Write-Host "case ${case}: still open after $CaseTimeoutSeconds s; removed"
        $abandoned++
    }
    Remove-PodeWebSocket -Name $name
}
Write-Host ("Invoke-PodeWsConformance: ran {0} cases in {1:N1} s ({2} abandoned)" -f $count, $started.Elapsed.TotalSeconds, $abandoned)

# --- ask the server to write the reports -------------------------------------------------------
Connect-PodeWebSocket -Name 'autobahn-update-reports' -Url "$base/updateReports?agent=$Agent" -ContentType 'text/plain' -ScriptBlock { }
$null = Wait-CaseClosed -Name 'autobahn-update-reports' -TimeoutSeconds 30
Remove-PodeWebSocket -Name 'autobahn-update-reports'
exit 0
