# Inside a handler -Name may be omitted: the connection comes from the caller's $WsEvent (also one
# returned by Receive-PodeWebSocket), else from the event the dispatcher thread is handling.
# Returns $null when there is no name; the command then writes New-PodeWsNameRequiredError.

function Resolve-PodeWsName {
    param(
        [Parameter()]
        [string]
        $Name,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.SessionState]
        $SessionState
    )

    if (![string]::IsNullOrWhiteSpace($Name)) {
        return $Name
    }

    $wsEvent = $SessionState.PSVariable.GetValue('WsEvent')
    if ($wsEvent -is [System.Collections.IDictionary]) {
        $fromEvent = $wsEvent['Request'].WebSocket.Name
        if (![string]::IsNullOrWhiteSpace($fromEvent)) {
            return [string]$fromEvent
        }
    }

    $current = [PodeWebSocket.HandlerContext]::CurrentName
    if (![string]::IsNullOrWhiteSpace($current)) {
        return $current
    }
    return $null
}

function New-PodeWsNameRequiredError {
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Command
    )

    return (New-PodeWsErrorRecord -ErrorId 'NameRequired' -Category InvalidArgument `
            -Message "$($Command): no -Name was given and the call is not inside a WebSocket handler (no `$WsEvent).")
}
