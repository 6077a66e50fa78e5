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

# Get-PodeWebSocket and Get-PodeWebSocketEvent: the registered names matching patterns (all when
# none), in the core's order, each once; a name without wildcards that matches nothing is an
# UnknownName error written to $Cmdlet.
function Select-PodeWsName {
    param(
        [Parameter()]
        [string[]]
        $Name,

        [Parameter(Mandatory = $true)]
        [AllowEmptyCollection()]
        [string[]]
        $Registered,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet
    )

    if ($Name.Count -eq 0) {
        return $Registered
    }
    $selected = [System.Collections.Generic.List[string]]::new()
    foreach ($pattern in $Name) {
        $wildcard = [System.Management.Automation.WildcardPattern]::new($pattern, [System.Management.Automation.WildcardOptions]::IgnoreCase)
        $matched = @($Registered | Where-Object { $wildcard.IsMatch($_) })
        if (($matched.Count -eq 0) -and ![System.Management.Automation.WildcardPattern]::ContainsWildcardCharacters($pattern)) {
            $Cmdlet.WriteError((New-PodeWsErrorRecord -ErrorId 'UnknownName' -Category ObjectNotFound `
                        -Message "no WebSocket connection is named '$pattern'" -Name $pattern))
        }
        foreach ($item in $matched) {
            if (!$selected.Contains($item)) {
                $selected.Add($item)
            }
        }
    }
    return $selected.ToArray()
}
