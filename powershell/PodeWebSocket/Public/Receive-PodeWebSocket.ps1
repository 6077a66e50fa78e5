<#
.SYNOPSIS
Takes received messages of a connection that has no handler.

.DESCRIPTION
For a connection opened without -ScriptBlock/-FilePath (and without -OnOpen/-OnClose/-OnError),
messages wait in its queue until this command takes them. It waits until -Count messages have
arrived or -Timeout has passed, and returns the messages received (oldest first) as
PodeWebSocket.WsEvent objects, each shaped like a handler's $WsEvent (Request.Body,
Request.RawBody, Request.Type, Data parsed by ContentType, Timestamp, ...). While nobody
receives, a full queue stops the connection reading its socket, so the server is slowed down
instead of memory growing.

-Timeout 0 polls: it returns what is queued, possibly nothing, without an error, so a loop can
poll several connections. When a wait longer than 0 ends with nothing received, that is an error
(PodeWebSocket.Timeout). A connection that is closed with nothing left to read is an error
(PodeWebSocket.NotOpen), at once, also when polling.

.PARAMETER Name
The name of the connection (completes with Tab). Accepts pipeline input by value and by property
name (e.g. from Get-PodeWebSocket); the connections are read one after the other.

.PARAMETER Timeout
Seconds to wait; -1 (the default) waits until messages arrive or the connection closes; 0 only
takes what is already there and never fails for lack of messages.

.PARAMETER Count
How many messages to wait for (at most). Default: 1.

.EXAMPLE
Connect-PodeWebSocket -Name 'Probe' -Url 'ws://localhost:8091'
Send-PodeWebSocket -Name 'Probe' -Message 'hello'
$reply = Receive-PodeWebSocket -Name 'Probe' -Timeout 5
$reply.Request.Body

.EXAMPLE
1..100 | Send-PodeWebSocket -Name 'Probe'
$all = Receive-PodeWebSocket -Name 'Probe' -Count 100 -Timeout 10
$all.Count

Waits up to 10 seconds for 100 messages (here, the echo of 100 sent).

.EXAMPLE
foreach ($message in (Receive-PodeWebSocket -Name 'Probe' -Count 1000 -Timeout 0)) { $message.Request.Body }

Takes whatever is queued now, without waiting and without an error when nothing is.

.INPUTS
System.String (names), or objects with a Name property.

.OUTPUTS
PodeWebSocket.WsEvent (a hashtable shaped like $WsEvent).

.NOTES
Errors: PodeWebSocket.Timeout (a wait longer than 0 got nothing), .NotOpen, .UnknownName, .HasHandler.
#>
function Receive-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([PodeWebSocket.WsEvent])]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
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

    process {
        $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
        $limitMs = $(if ($Timeout -lt 0) { [double]::PositiveInfinity } else { $Timeout * 1000 })
        $received = 0
        $closed = $false
        while ($received -lt $Count) {
            # short slices keep Ctrl+C responsive and notice a closed connection quickly
            $leftMs = [System.Math]::Max(0.0, $limitMs - $stopwatch.Elapsed.TotalMilliseconds)
            $sliceMs = [int][System.Math]::Min(250.0, $leftMs)
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
            elseif ($Timeout -ne 0) {
                $PSCmdlet.WriteError((New-PodeWsErrorRecord -ErrorId 'Timeout' -Category OperationTimeout -Name $Name `
                            -Message "no message arrived on '$Name' within $Timeout seconds"))
            }
        }
    }
}
