<#
.SYNOPSIS
Describes WebSocket connections: state, URL, counters, last close and errors.

.DESCRIPTION
Returns one object per connection (all of them, or those matching -Name) with:
Name, Url, State (Connecting, Open, Reconnecting, Closed), ContentType, SubProtocol, Mode
('Handler' or 'Receive'), MessagesIn, BytesIn, MessagesOut, BytesOut, Reconnects, QueuedEvents,
QueuedBytes, OpenedAt (UTC), LastClose (Code, Reason, ClosedBy), LastError (the connection's
last network or protocol error), HandlerErrors (how many times a handler failed) and
LastHandlerError (Time, Handler, Message, ErrorRecord).

.PARAMETER Name
Names or wildcard patterns; without it every connection is returned. A name without wildcards
that matches nothing is an error.

.EXAMPLE
Get-PodeWebSocket

.EXAMPLE
Get-PodeWebSocket -Name 'Example' | Select-Object State, MessagesIn, HandlerErrors, LastHandlerError

.EXAMPLE
Get-PodeWebSocket -Name 'feed-*' | Where-Object State -ne 'Open'

.INPUTS
Objects with a Name property.

.OUTPUTS
PodeWebSocket.Connection (a PSCustomObject).

.NOTES
Errors: PodeWebSocket.UnknownName.
#>
function Get-PodeWebSocket {
    [CmdletBinding()]
    [OutputType('PodeWebSocket.Connection')]
    param(
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = $true)]
        [SupportsWildcards()]
        [string[]]
        $Name
    )

    begin {
        $display = [System.Management.Automation.PSPropertySet]::new('DefaultDisplayPropertySet',
            [string[]]@('Name', 'State', 'Url', 'MessagesIn', 'MessagesOut', 'HandlerErrors'))
        $standardMembers = [System.Management.Automation.PSMemberInfo[]]@($display)
    }

    process {
        $all = @([PodeWebSocket.Client]::List() | ConvertFrom-Json)
        $selected = [System.Collections.Generic.List[object]]::new()
        if ($Name.Count -eq 0) {
            $selected.AddRange([object[]]$all)
        }
        else {
            foreach ($pattern in $Name) {
                $matched = @($all | Where-Object { $_.name -like $pattern })
                if (($matched.Count -eq 0) -and ![System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($pattern)) {
                    $PSCmdlet.WriteError((New-PodeWsErrorRecord -ErrorId 'UnknownName' -Category ObjectNotFound `
                                -Message "no WebSocket connection is named '$pattern'" -Name $pattern))
                }
                foreach ($item in $matched) {
                    if (!$selected.Contains($item)) {
                        $selected.Add($item)
                    }
                }
            }
        }

        foreach ($info in $selected) {
            $definition = [PodeWebSocket.Registry]::Find($info.name)
            $lastClose = $null
            if ($null -ne $info.lastClose) {
                $lastClose = [pscustomobject]@{
                    Code     = $info.lastClose.code
                    Reason   = $info.lastClose.reason
                    ClosedBy = $info.lastClose.closedBy
                }
            }
            $output = [pscustomobject]@{
                PSTypeName       = 'PodeWebSocket.Connection'
                Name             = $info.name
                Url              = $info.url
                State            = $info.state
                ContentType      = $(if ($null -ne $definition) { $definition.ContentType } else { $null })
                SubProtocol      = $info.subprotocol
                Mode             = $(if (($null -ne $definition) -and $definition.HasHandlers) { 'Handler' } else { 'Receive' })
                MessagesIn       = $info.messagesIn
                BytesIn          = $info.bytesIn
                MessagesOut      = $info.messagesOut
                BytesOut         = $info.bytesOut
                Reconnects       = $info.reconnects
                QueuedEvents     = $info.queuedEvents
                QueuedBytes      = $info.queuedBytes
                OpenedAt         = $(if ($info.openedAtMs -gt 0) { [System.DateTimeOffset]::FromUnixTimeMilliseconds($info.openedAtMs).UtcDateTime } else { $null })
                LastClose        = $lastClose
                LastError        = $(if ($null -ne $info.lastError) { $info.lastError.message } else { $null })
                HandlerErrors    = $(if ($null -ne $definition) { $definition.HandlerErrorCount } else { 0 })
                LastHandlerError = $(if ($null -ne $definition) { $definition.LastHandlerError } else { $null })
            }
            $output | Add-Member -MemberType MemberSet -Name PSStandardMembers -Value $standardMembers
            $output
        }
    }
}
