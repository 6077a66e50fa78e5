# Blocking native calls (connect, reset) run on a worker thread; the command waits in short slices
# so Ctrl+C stays responsive, and cancels the native operation when the pipeline is stopped.
# Returns the failure (PodeWebSocketException) or $null.

function Wait-PodeWsTask {
    param(
        [Parameter(Mandatory = $true)]
        [System.Threading.Tasks.Task]
        $Task,

        [Parameter(Mandatory = $true)]
        [string]
        $Name
    )

    $failure = $null
    $settled = $false
    try {
        while (-not [PodeWebSocket.Client]::TryWait($Task, 200, $Name, [ref]$failure)) { }
        $settled = $true
    }
    finally {
        # only a stopped pipeline (Ctrl+C) leaves the loop unsettled
        if (-not $settled) {
            [PodeWebSocket.Client]::Cancel($Name)
        }
    }
    return $failure
}
