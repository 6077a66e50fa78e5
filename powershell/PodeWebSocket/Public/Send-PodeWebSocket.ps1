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
that sent $WsEvent.

.PARAMETER Name
The name of the connection. Optional inside a handler (or when $WsEvent is set).

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
Connect-PodeWebSocket -Name 'Example' -Url 'ws://localhost:8091' -ScriptBlock { Send-PodeWebSocket -Message "echo: $($WsEvent.Request.Body)" }

Answers inside a handler without -Name.

.EXAMPLE
1..1000 | ForEach-Object { "tick $_" } | Send-PodeWebSocket -Name 'Example'

Sends many messages from the pipeline (the connection is looked up once).

.EXAMPLE
Send-PodeWebSocket -Name 'Example' -Message ([System.IO.File]::ReadAllBytes('./image.png')) -Type Binary

Sends a file as one binary message.

.INPUTS
System.Object. Each piped object is one message.

.OUTPUTS
None.

.NOTES
Errors: PodeWebSocket.UnknownName, .NotOpen, .NameRequired, .UnsupportedContentType.
#>
function Send-PodeWebSocket {
    [CmdletBinding()]
    [OutputType([void])]
    param(
        [Parameter()]
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
        $target = $null
        $typeGiven = $PSBoundParameters.ContainsKey('Type')
        $resolved = $Name
        if ([string]::IsNullOrWhiteSpace($resolved)) {
            $resolved = Resolve-PodeWsName -Name $Name -SessionState $PSCmdlet.SessionState
        }
        if ($null -eq $resolved) {
            $PSCmdlet.WriteError((New-PodeWsNameRequiredError -Command 'Send-PodeWebSocket'))
        }
        else {
            $failure = [PodeWebSocket.Client]::TryGetSendTarget($resolved, [ref]$target)
            if ($null -ne $failure) {
                $PSCmdlet.WriteError($failure.ToErrorRecord())
            }
        }
    }

    process {
        if ($null -eq $target) {
            return
        }
        $failure = [PodeWebSocket.Client]::TrySend($target, $Message, $Depth, $Type, $typeGiven)
        if ($null -ne $failure) {
            $PSCmdlet.WriteError($failure.ToErrorRecord())
        }
    }
}
