<#
.SYNOPSIS
Sends a message to a connected WebSocket server.

.DESCRIPTION
Sends -Message (or every object piped in) on the named connection, in order. Strings are sent as
they are. Other objects are converted by the connection's -ContentType as Pode does: JSON types
→ ConvertTo-Json -Depth -Compress, XML → ConvertTo-Xml, CSV → ConvertTo-Csv, HTML → ConvertTo-Html;
otherwise the object's string form. A blank string is sent as {} on a JSON connection. A byte[]
is sent as a binary message as it is (when -Type is Binary or not given); -Type Binary sends any
other message as the UTF-8 bytes of its text.

The command returns once the message is queued for writing; messages of one connection are
written in order, several at a time.

Inside a connection's handler, -Name may be omitted: the message goes back to the connection
that sent $WsEvent. Outside a handler, a call without a name stops with a NameRequired error, as
Pode's does. A message for an unknown name or a connection that is not open is a non-terminating
error (Pode drops it silently); it is written once per name and call, not once per message.

.PARAMETER Name
The name of the connection (completes with Tab). Optional inside a handler (or when $WsEvent is
set). Accepts pipeline input by property name only, and only when -Message is given: then each
piped object with a Name property (e.g. from Get-PodeWebSocket) receives -Message. Without
-Message, piped objects are the messages, and a Name property of theirs is message content, never
a connection name.

.PARAMETER Message
The message: a string, a byte[], or any object to convert by content type. Accepts pipeline input
(one message per object; to pipe a byte[] as one message, wrap it: ,$bytes | Send-PodeWebSocket).

.PARAMETER Depth
The depth for JSON and XML conversion of objects. Default: 10 (0 or less: ConvertTo-Json's default).

.PARAMETER Type
The frame type: Text (default) or Binary.

.EXAMPLE
Send-PodeWebSocket -Name 'Example' -Message @{ message = 'Hello, there' }

Sends {"message":"Hello, there"} on a JSON connection.

.EXAMPLE
Connect-PodeWebSocket -Name 'Pinger' -Url 'ws://localhost:8091' -ScriptBlock { if ($WsEvent.Data.type -eq 'ping') { Send-PodeWebSocket -Message @{ type = 'pong' } } }

Answers pings inside a handler, without -Name.

.EXAMPLE
1..1000 | ForEach-Object { "tick $_" } | Send-PodeWebSocket -Name 'Example'

Sends many messages from the pipeline (the connection is looked up once).

.EXAMPLE
Send-PodeWebSocket -Name 'Example' -Message ([System.IO.File]::ReadAllBytes('./image.png')) -Type Binary

Sends a file as one binary message.

.EXAMPLE
Get-PodeWebSocket | Where-Object State -eq 'Open' | Send-PodeWebSocket -Message 'shutting down at noon'

Sends one message to every open connection (the names come from the piped objects).

.INPUTS
System.Object. Each piped object is one message; with -Message given, piped objects with a Name
property name the connections instead.

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.NameRequired (terminating), .UnknownName, .NotOpen, .UnsupportedContentType, .ConversionFailed.
#>
function Send-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter(ValueFromPipelineByPropertyName = $true)]
        [ArgumentCompleter([PodeWebSocket.NameCompleter])]
        [string]
        $Name,

        [Parameter(ValueFromPipeline = $true)]
        $Message,

        [Parameter()]
        [int]
        $Depth = 10,

        [Parameter()]
        [ValidateSet('Text', 'Binary')]
        [string]
        $Type = 'Text'
    )

    begin {
        # kept lean: this runs for every call, and each PowerShell-level call costs microseconds
        $typeGiven = $PSBoundParameters.ContainsKey('Type')
        $nameGiven = ![string]::IsNullOrWhiteSpace($Name)
        # Piped objects are messages; only with -Message given do they name connections (by their
        # Name property, e.g. from Get-PodeWebSocket). Otherwise the name is fixed for the call.
        $namesPiped = !$nameGiven -and $PSBoundParameters.ContainsKey('Message')
        $fixedName = $(if ($nameGiven) { $Name } else { Resolve-PodeWsName -SessionState $PSCmdlet.SessionState })
        $target = $null
        $failedName = $null
    }

    process {
        if (($null -eq $target) -or ($namesPiped -and ![string]::IsNullOrWhiteSpace($Name) -and ($Name -ne $target.Name))) {
            $want = $(if ($namesPiped -and ![string]::IsNullOrWhiteSpace($Name)) { $Name } else { $fixedName })
            if ($null -eq $want) {
                $PSCmdlet.ThrowTerminatingError((New-PodeWsNameRequiredError -Command 'Send-PodeWebSocket'))
            }
            if ($want -eq $failedName) {
                return
            }
            $target = $null
            $failure = [PodeWebSocket.Client]::TryGetSendTarget($want, [ref]$target)
            if ($null -ne $failure) {
                # said once per name, not once per message
                $failedName = $want
                $PSCmdlet.WriteError($failure.ToErrorRecord())
                return
            }
        }
        $failure = [PodeWebSocket.Client]::TrySend($target, $Message, $Depth, $Type, $typeGiven)
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}
