# -Verbose on Reset, Disconnect and Remove: the steps the core records in the connection's trace
# (option traceId; ConnectionDefinition.Trace), written as they happen. A reader starts at the
# trace's end, so a command shows its own steps only. Trace lines never hold a header value,
# a password or proxy credentials (the core leaves them out).

function New-PodeWsTraceReader {
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Name,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.ActionPreference]
        $Preference
    )

    if (($Preference -eq 'SilentlyContinue') -or ($Preference -eq 'Ignore')) {
        return $null
    }
    $definition = [PodeWebSocket.Registry]::Find($Name)
    if (($null -eq $definition) -or ($null -eq $definition.Trace)) {
        return $null
    }
    $reader = [PodeWebSocket.ConnectTrace]::new($definition.Trace.Id)
    $null = $reader.ReadNew()
    return $reader
}

function Write-PodeWsTrace {
    param(
        [Parameter()]
        [PodeWebSocket.ConnectTrace]
        $Trace,

        [Parameter()]
        [System.Management.Automation.PSCmdlet]
        $Cmdlet,

        [Parameter(Mandatory = $true)]
        [string]
        $Name
    )

    if (($null -eq $Trace) -or ($null -eq $Cmdlet)) {
        return
    }
    foreach ($line in $Trace.ReadNew()) {
        $Cmdlet.WriteVerbose("$($Name): $line")
    }
}
