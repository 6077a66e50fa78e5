<#
.SYNOPSIS
Takes received messages of a connection that has no handler.

.DESCRIPTION
For a connection opened without -ScriptBlock/-FilePath (and without -OnOpen/-OnClose/-OnError),
messages wait in its queue until this command takes them. It waits until -Count messages have
arrived or -Timeout has passed, and returns the messages received (oldest first), each shaped like
a handler's $WsEvent (Request.Body, Request.RawBody, Request.Type, Data parsed by ContentType,
Timestamp, ...). While nobody receives, a full queue stops the connection reading its socket, so
the server is slowed down instead of memory growing.

Nothing received before the timeout is an error (PodeWebSocket.Timeout); a connection that is
closed with nothing left to read is an error too (PodeWebSocket.NotOpen), at once.

.PARAMETER Name
The name of the connection.

.PARAMETER Timeout
Seconds to wait; -1 (the default) waits until messages arrive or the connection closes; 0 only
takes what is already there.

.PARAMETER Count
How many messages to wait for (at most). Default: 1.

.EXAMPLE
Connect-PodeWebSocket -Name 'Probe' -Url 'ws://localhost:8091'
Send-PodeWebSocket -Name 'Probe' -Message 'hello'
$reply = Receive-PodeWebSocket -Name 'Probe' -Timeout 5
$reply.Request.Body

.EXAMPLE
$all = Receive-PodeWebSocket -Name 'Probe' -Count 100 -Timeout 10
$all.Count

Waits up to 10 seconds for 100 messages.

.INPUTS
None.

.OUTPUTS
System.Collections.Hashtable ($WsEvent-shaped, type PodeWebSocket.WsEvent).

.NOTES
Errors: PodeWebSocket.Timeout, .NotOpen, .UnknownName, .HasHandler.
#>
function Receive-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string]
        $Name,

        [Parameter()]
        [ValidateRange(-1, 2147483)]
        [double]
        $Timeout = -1,

        [Parameter()]
        [ValidateRange(1, 1000000)]
        [int]
        $Count = 1
    )

    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    $limitMs = $(if ($Timeout -lt 0) { [double]::PositiveInfinity } else { $Timeout * 1000 })
    $received = 0
    $closed = $false
    while ($received -lt $Count) {
        # short slices keep Ctrl+C responsive and notice a closed connection quickly
        $leftMs = [System.Math]::Max(0, $limitMs - $stopwatch.Elapsed.TotalMilliseconds)
        $sliceMs = [int][System.Math]::Min(250, $leftMs)
        $events = $null
        $failure = [PodeWebSocket.Client]::TryReceive($Name, $sliceMs, $Count - $received, [ref]$events, [ref]$closed)
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
            return
        }
        foreach ($wsEvent in $events) {
            $wsEvent
        }
        $received += $events.Count
        if ($closed -or ($leftMs -le 0)) {
            break
        }
    }

    if ($received -eq 0) {
        if ($closed) {
            $PSCmdlet.WriteError((New-PodeWsErrorRecord -ErrorId 'NotOpen' -Category InvalidOperation -Name $Name `
                        -Message "the WebSocket connection '$Name' is closed and has no messages left to receive"))
        }
        else {
            $PSCmdlet.WriteError((New-PodeWsErrorRecord -ErrorId 'Timeout' -Category OperationTimeout -Name $Name `
                        -Message "no message arrived on '$Name' within $Timeout seconds"))
        }
    }
}
