<#
.SYNOPSIS
Shows the recent history of WebSocket connections: opens, closes, reconnect attempts, errors and handler failures.

.DESCRIPTION
Returns what happened to connections, oldest first, as PodeWebSocket.ConnectionEvent objects
(shown as a table: Time in local time, Name, Event, Message). Each has Time (UTC), Name, Event and
Message, and what that kind of event says:

  Opened         Url, SubProtocol
  Closed         Code, Reason, ClosedBy (Local, Remote, Lost), Cause (the failure that closed it)
  Reconnecting   Attempt, Delay, Cause (why), Url (where the attempt goes)
  Error          ErrorId, Message, Attempt (the reconnect attempt that failed, 0 when none)
  GaveUp         ErrorId (PodeWebSocket.ReconnectGaveUp), Message (names the last failure)
  HandlerError   Handler, ErrorId, Message, Location (the file and line of the user's code)

The native core keeps each connection's last 100 lifecycle events and the module its last 100
handler failures; both last across reconnects and resets, until Remove-PodeWebSocket (or the end
of the process). Messages are never recorded. So a connection that flapped at night can be
examined in the morning. Several connections' events are interleaved by time.

.PARAMETER Name
Names or wildcard patterns (complete with Tab); without it every connection. A name without
wildcards that matches nothing is an error. Accepts pipeline input by value and by property name.

.PARAMETER Last
Only the newest this many events of each connection.

.EXAMPLE
Get-PodeWebSocketEvent -Name 'Example'

.EXAMPLE
Get-PodeWebSocketEvent -Name 'Example' -Last 20 | Where-Object Event -in 'Closed', 'Error'

The closes and errors among the last 20 events.

.EXAMPLE
Get-PodeWebSocket | Where-Object Reconnects -gt 0 | Get-PodeWebSocketEvent | Format-List

Everything about every connection that had to reconnect.

.INPUTS
System.String (names or patterns), or objects with a Name property (e.g. from Get-PodeWebSocket).

.OUTPUTS
PodeWebSocket.ConnectionEvent

.NOTES
Errors: PodeWebSocket.UnknownName.
#>
function Get-PodeWebSocketEvent {
    [CmdletBinding()]
    [OutputType([PodeWebSocket.ConnectionEvent])]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [SupportsWildcards()]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string[]]
        $Name,

        [Parameter()]
        [ValidateRange(1, [int]::MaxValue)]
        [int]
        $Last = 0
    )

    begin {
        $names = [System.Collections.Generic.List[string]]::new()
    }

    process {
        $registered = [string[]]@(foreach ($info in [PodeWebSocket.ConnectionInfo]::List()) { $info.Name })
        foreach ($selected in (Select-PodeWsName -Name $Name -Registered $registered -Cmdlet $PSCmdlet)) {
            if (!$names.Contains($selected)) {
                $names.Add($selected)
            }
        }
    }

    end {
        # interleaved by time: what happened to every connection, in order
        $events = [System.Collections.Generic.List[PodeWebSocket.ConnectionEvent]]::new()
        foreach ($selected in $names) {
            $read = $null
            $failure = [PodeWebSocket.ConnectionHistory]::TryRead($selected, $Last, [ref]$read)
            if ($null -ne $failure) {
                # removed meanwhile
                $PSCmdlet.WriteError($failure.ToErrorRecord())
                continue
            }
            $events.AddRange($read)
        }
        $events | Sort-Object -Property Time -Stable
    }
}
