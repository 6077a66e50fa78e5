# ErrorRecords of the module: ErrorId PodeWebSocket.*, a category, the connection name as target and
# the native message. The C# side returns failures (Try* methods) instead of throwing them, so a
# caller's -ErrorVariable holds only the error the command writes.

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
