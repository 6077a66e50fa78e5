<#
.SYNOPSIS
Describes WebSocket connections: state, URL, counters, last close and errors.

.DESCRIPTION
Returns one PodeWebSocket.ConnectionInfo per connection (all of them, or those matching -Name),
shown as a table (Name, State, Url, messages in and out, reconnects, last error); Format-List
shows everything:

  Name, State (Connecting, Open, Reconnecting, Closed), Url (configured), ConnectedUrl (where the
  last connect arrived after redirects, query redacted), Proxy (Url and Source of the proxy used,
  never credentials; empty when direct), SubProtocol, Compression (permessage-deflate and its
  parameters, or none), ContentType, Mode (Handler or Receive), ReuseRawBody (made with
  -ReuseRawBody), MessagesIn, BytesIn, MessagesOut,
  BytesOut (message bytes), WireBytesIn, WireBytesOut (bytes on the socket: TLS, framing and
  compression included), Reconnects, QueuedEvents, QueuedBytes, OpenedAt (UTC), LastClose (Code,
  Reason, ClosedBy), LastError (Message, ErrorId, Time, IsCurrent: false once a connect succeeded
  after it), HandlerErrors (how many times a handler failed) and LastHandlerError (Time, Handler,
  Message, ErrorId, ScriptName, Line, Position, ErrorRecord).

Never shows header values, passwords or certificates. The story behind LastError (every open,
close, reconnect attempt and handler failure, with times) is in Get-PodeWebSocketEvent.

.PARAMETER Name
Names or wildcard patterns (complete with Tab); without it every connection is returned. A name
without wildcards that matches nothing is an error. Accepts pipeline input by value and by
property name.

.EXAMPLE
Get-PodeWebSocket

.EXAMPLE
Get-PodeWebSocket -Name 'Example' | Format-List

Everything about one connection.

.EXAMPLE
Get-PodeWebSocket -Name 'Example' | Select-Object State, MessagesIn, HandlerErrors, LastHandlerError

.EXAMPLE
Get-PodeWebSocket -Name 'feed-*' | Where-Object State -ne 'Open'

.INPUTS
System.String (names or patterns), or objects with a Name property.

.OUTPUTS
PodeWebSocket.ConnectionInfo

.NOTES
Errors: PodeWebSocket.UnknownName.
#>
function Get-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([PodeWebSocket.ConnectionInfo])]
    param(
        [Parameter(Position = 0, ValueFromPipeline = $true, ValueFromPipelineByPropertyName = $true)]
        [SupportsWildcards()]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string[]]
        $Name
    )

    process {
        $all = [PodeWebSocket.ConnectionInfo]::List()
        $byName = @{}
        foreach ($info in $all) {
            $byName[$info.Name] = $info
        }
        foreach ($selected in (Select-PodeWsName -Name $Name -Registered ([string[]]@(foreach ($info in $all) { $info.Name })) -Cmdlet $PSCmdlet)) {
            $byName[$selected]
        }
    }
}
