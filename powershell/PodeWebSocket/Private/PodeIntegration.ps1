# The only place that knows about Pode. When Pode is loaded and one of its servers is running,
# dispatcher runspaces are created from Pode's runspace state (Pode's commands and $PodeContext
# work in handlers, e.g. Send-PodeSignal) and $WsEvent.Lockable is Pode's global lockable.

function Get-PodeWsServerFlavor {
    $pode = @(Get-Module -Name Pode)
    if ($pode.Count -eq 0) {
        return $null
    }
    $pode = $pode[0]

    # $PodeContext lives in Pode's module scope (main runspace) or as a global (Pode's runspaces)
    $context = & $pode { $PodeContext }
    if (($null -eq $context) -or ($null -eq $context.Tokens)) {
        return $null
    }

    $server = $context.Tokens.Cancellation
    if (($null -ne $server) -and $server.IsCancellationRequested) {
        return $null
    }

    $lockable = $null
    if ($null -ne $context.Threading -and $null -ne $context.Threading.Lockables) {
        $lockable = $context.Threading.Lockables.Global
    }
    if ($null -eq $lockable) {
        $lockable = $context.Lockable
    }

    # the main runspace has Pode's own state; Pode's runspaces only see a copy of the context
    $state = $context.RunspaceState
    if ($null -eq $state) {
        $state = New-PodeWsPodeRunspaceState -Pode $pode -Context $context
    }

    return [PodeWebSocket.DispatcherFlavor]::Pode($state, $lockable, $server, $context.Tokens)
}

# What Pode's New-PodeRunspaceState builds, for a call from inside one of Pode's runspaces.
function New-PodeWsPodeRunspaceState {
    param(
        [Parameter(Mandatory = $true)]
        [psmoduleinfo]
        $Pode,

        [Parameter(Mandatory = $true)]
        $Context
    )

    $state = [initialsessionstate]::CreateDefault()
    $manifest = Join-Path $Pode.ModuleBase 'Pode.psd1'
    if (Test-Path -LiteralPath $manifest) {
        $state.ImportPSModule($manifest)
    }
    elseif (![string]::IsNullOrEmpty($Pode.Path)) {
        $state.ImportPSModule($Pode.Path)
    }

    $locale = & $Pode { $PodeLocale }
    foreach ($variable in @(
            [System.Management.Automation.Runspaces.SessionStateVariableEntry]::new('PodeLocale', $locale, $null),
            [System.Management.Automation.Runspaces.SessionStateVariableEntry]::new('PodeContext', $Context, $null),
            [System.Management.Automation.Runspaces.SessionStateVariableEntry]::new('Console', $Host, $null),
            [System.Management.Automation.Runspaces.SessionStateVariableEntry]::new('PODE_SCOPE_RUNSPACE', $true, $null)
        )) {
        $state.Variables.Add($variable)
    }
    return $state
}
