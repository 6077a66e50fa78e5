# Turns any failure of the C# glue into the ErrorRecord a command writes: ErrorId PodeWebSocket.*,
# its category, the connection name as target and the native message.

function ConvertTo-PodeWsErrorRecord {
    param(
        [Parameter(Mandatory = $true)]
        [System.Management.Automation.ErrorRecord]
        $ErrorRecord
    )

    $exception = [PodeWebSocket.PodeWebSocketException]::Find($ErrorRecord.Exception)
    if ($null -ne $exception) {
        return $exception.ToErrorRecord()
    }
    return $ErrorRecord
}

function New-PodeWsErrorRecord {
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $ErrorId,

        [Parameter(Mandatory = $true)]
        [System.Management.Automation.ErrorCategory]
        $Category,

        [Parameter(Mandatory = $true)]
        [string]
        $Message,

        [Parameter()]
        [string]
        $Name
    )

    return ([PodeWebSocket.PodeWebSocketException]::new("PodeWebSocket.$ErrorId", $Category, $Message, $Name)).ToErrorRecord()
}
