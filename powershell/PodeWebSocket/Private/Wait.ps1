# Blocking native calls (connect, reset) run on a worker thread; the command waits in short slices
# so Ctrl+C stays responsive, and cancels the native operation when the pipeline is stopped.

function Wait-PodeWsTask {
    param(
        [Parameter(Mandatory = $true)]
        [System.Threading.Tasks.Task]
        $Task,

        [Parameter(Mandatory = $true)]
        [string]
        $Name
    )

    $settled = $false
    try {
        while (-not [PodeWebSocket.Client]::Wait($Task, 200)) { }
        $settled = $true
    }
    catch {
        # the operation itself failed: nothing to cancel (and the name may belong to another connection)
        $settled = $true
        throw
    }
    finally {
        # only a stopped pipeline (Ctrl+C) gets here unsettled: catch blocks do not see it
        if (-not $settled) {
            [PodeWebSocket.Client]::Cancel($Name)
        }
    }
}
