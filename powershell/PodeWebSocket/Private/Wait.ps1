# Blocking native calls (connect, reset, and with -Verbose disconnect and remove) run on a worker
# thread; the command waits in short slices so Ctrl+C stays responsive, writes the connection's
# new trace lines with -Verbose as they are recorded, and cancels the native operation when the
# pipeline is stopped (unless -NoCancel). Returns the failure (PodeWebSocketException) or $null.

function Wait-PodeWsTask {
    param(
        [Parameter(Mandatory = $true)]
        [System.Threading.Tasks.Task]
        $Task,

        [Parameter(Mandatory = $true)]
        [string]
        $Name,

        # from New-PodeWsTraceReader; $null writes nothing
        [Parameter()]
        [PodeWebSocket.ConnectTrace]
        $Trace,

        [Parameter()]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [switch]
        $NoCancel
    )

    $failure = $null
    $settled = $false
    $sliceMs = $(if ($null -ne $Trace) { 100 } else { 200 })
    try {
        while (-not [PodeWebSocket.Client]::TryWait($Task, $sliceMs, $Name, [ref]$failure)) {
            Write-PodeWsTrace -Trace $Trace -Cmdlet $Cmdlet -Name $Name
        }
        $settled = $true
        Write-PodeWsTrace -Trace $Trace -Cmdlet $Cmdlet -Name $Name
    }
    finally {
        # only a stopped pipeline (Ctrl+C) leaves the loop unsettled
        if (-not $settled -and -not $NoCancel) {
            [PodeWebSocket.Client]::Cancel($Name)
        }
    }
    return $failure
}
