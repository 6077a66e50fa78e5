# Peer P, PowerShell side: the command and dispatch layers of Pode's external WebSocket client
# (Badgerati/Pode src/Public/WebSockets.ps1, src/Private/WebSockets.ps1, src/Private/Helpers.ps1),
# rewritten for the benchmark with the same per-message steps and costs:
#   receive runspace: Wait-PodeTask on GetWebSocketRequestAsync -> build the $WsEvent hashtable
#   -> find the connection -> ConvertFrom-PodeRequestContent (by ContentType) ->
#   Invoke-PodeScriptBlock (GetNewClosure, then & $ScriptBlock @Arguments) -> dispose the request.
#   Send-PodeWebSocket: look-ups, ConvertTo-PodeResponseContent, Wait-PodeTask on Send().
# Functions are prefixed PL (Pode-like) so nobody mistakes them for Pode's or for ours.
# Requires the PodeLike types (bench/ps/PodeLike.cs) to be loaded.

$script:PLFile = $PSCommandPath
$script:PL = @{
    Receiver    = $null
    Connections = [hashtable]::Synchronized(@{})
    Lockable    = [hashtable]::Synchronized(@{})
    Runspace    = $null
    Threads     = 1
}

function Wait-PLTask {
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true, Position = 0, ValueFromPipeline = $true)]
        $Task,

        [Parameter()]
        [int]
        $Timeout = -1
    )
    begin { $items = 0 }
    process { $items++ }
    end {
        if ($items -gt 1) { throw 'Wait-PLTask takes one task' }
        if ($Task -is [System.Threading.Tasks.Task]) {
            return (Wait-PLNetTask -Task $Task -Timeout $Timeout)
        }
        throw 'Task type is invalid'
    }
}

function Wait-PLNetTask {
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true)]
        [System.Threading.Tasks.Task]
        $Task,

        [Parameter()]
        [int]
        $Timeout = -1
    )
    $timeoutTask = $null
    if ($Timeout -gt 0) { $timeoutTask = [System.Threading.Tasks.Task]::Delay($Timeout) }
    $checkTask = if ($null -eq $timeoutTask) { $Task } else { [System.Threading.Tasks.Task]::WhenAny($Task, $timeoutTask) }
    $checkTask.Wait($PLToken)
    if (($null -ne $timeoutTask) -and (!$Task.IsCompleted)) { throw [System.TimeoutException]::new("timed out after $Timeout ms") }
    if ($null -ne $Task.Result) { return $Task.Result }
}

function Close-PLDisposable {
    [CmdletBinding()]
    param([Parameter()] [System.IDisposable] $Disposable)
    if ($null -eq $Disposable) { return }
    try { $Disposable.Dispose() } catch { $null = $_ }
}

function Split-PLContentType {
    param([Parameter()] [string] $ContentType)
    if ([string]::IsNullOrWhiteSpace($ContentType)) { return [string]::Empty }
    return @($ContentType -isplit ';')[0].Trim()
}

function ConvertFrom-PLRequestContent {
    param(
        [Parameter()]
        $Request,

        [Parameter()]
        [string]
        $ContentType
    )
    $ContentType = Split-PLContentType -ContentType $ContentType
    $Result = @{ Data = @{}; Files = @{} }
    if ([string]::IsNullOrWhiteSpace($ContentType)) { return $Result }
    $Content = $Request.Body
    $Result.RawData = $Content
    if ([string]::IsNullOrWhiteSpace($Content)) { return $Result }
    switch ($ContentType) {
        { $_ -ilike '*/json' } { $Result.Data = ($Content | ConvertFrom-Json -AsHashtable) }
        { $_ -ilike '*/xml' } { $Result.Data = [xml]($Content) }
        { $_ -ilike '*/csv' } { $Result.Data = ($Content | ConvertFrom-Csv) }
        default { $Result.Data = $Content }
    }
    return $Result
}

function ConvertTo-PLResponseContent {
    param(
        [Parameter()]
        $InputObject,

        [Parameter()]
        [string]
        $ContentType,

        [Parameter()]
        [int]
        $Depth = 10
    )
    if ($InputObject -is [string]) { return $InputObject }
    $ContentType = Split-PLContentType -ContentType $ContentType
    switch ($ContentType) {
        { $_ -ilike '*/json' } { return ($InputObject | ConvertTo-Json -Depth $Depth -Compress) }
        default { return [string]$InputObject }
    }
}

function Invoke-PLScriptBlock {
    [CmdletBinding()]
    [OutputType([object])]
    param(
        [Parameter(Mandatory = $true)]
        [scriptblock]
        $ScriptBlock,

        [Parameter()]
        $Arguments = $null,

        [Parameter()]
        [object[]]
        $UsingVariables = $null,

        [switch]
        $Scoped,

        [switch]
        $Return,

        [switch]
        $Splat
    )
    $ScriptBlock = $ScriptBlock.GetNewClosure()
    if ($Scoped) {
        if ($Splat) { $result = (& $ScriptBlock @Arguments) } else { $result = (& $ScriptBlock $Arguments) }
    }
    else {
        if ($Splat) { $result = (. $ScriptBlock @Arguments) } else { $result = (. $ScriptBlock $Arguments) }
    }
    if ($Return) { return $result }
}

function Find-PLWebSocket {
    param([Parameter(Mandatory = $true)] [string] $Name)
    return $PLConnections[$Name]
}

# The receive runspace: one request per iteration, like Pode's receiver runspace.
$script:PLReceiveScript = {
    param($Receiver, $Connections, $Lockable, $FunctionsPath, $Token)
    . $FunctionsPath
    $PLConnections = $Connections
    $PLToken = $Token
    while (!$Token.IsCancellationRequested) {
        try {
            $request = (Wait-PLTask -Task $Receiver.GetWebSocketRequestAsync($Token))
        }
        catch { break }
        try {
            try {
                $WsEvent = @{
                    Request   = $request
                    Data      = $null
                    Files     = $null
                    Lockable  = $Lockable
                    Timestamp = [datetime]::UtcNow
                    Metadata  = @{}
                }
                $websocket = Find-PLWebSocket -Name $request.WebSocket.Name
                if ($null -eq $websocket.Logic) { continue }
                $result = ConvertFrom-PLRequestContent -Request $request -ContentType $request.WebSocket.ContentType
                $WsEvent.Data = $result.Data
                $WsEvent.Files = $result.Files
                $null = Invoke-PLScriptBlock -ScriptBlock $websocket.Logic -Arguments $websocket.Arguments -UsingVariables $websocket.UsingVariables -Scoped -Splat
            }
            catch [System.OperationCanceledException] { $null = $_ }
            catch { [Console]::Error.WriteLine("PL handler error: $_") }
        }
        finally {
            $WsEvent = $null
            Close-PLDisposable -Disposable $request
        }
    }
}

function Start-PLReceiver {
    if ($null -ne $script:PL.Receiver) { return }
    $script:PL.Receiver = [PodeLike.Receiver]::new()
    $ps = [powershell]::Create()
    $ps.Runspace = [runspacefactory]::CreateRunspace()
    $ps.Runspace.Open()
    $null = $ps.AddScript($script:PLReceiveScript).
        AddArgument($script:PL.Receiver).AddArgument($script:PL.Connections).AddArgument($script:PL.Lockable).
        AddArgument($script:PLFile).AddArgument($script:PL.Receiver.CancellationToken)
    $global:PLToken = $script:PL.Receiver.CancellationToken
    $script:PL.Runspace = @{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
}

function Stop-PLReceiver {
    if ($null -eq $script:PL.Receiver) { return }
    $script:PL.Receiver.Dispose()
    $null = $script:PL.Runspace.Handle.AsyncWaitHandle.WaitOne(5000)
    $script:PL.Runspace.PowerShell.Runspace.Dispose()
    $script:PL.Runspace.PowerShell.Dispose()
    $script:PL.Receiver = $null
}

function Connect-PLWebSocket {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [string] $Name,
        [Parameter(Mandatory = $true)] [string] $Url,
        [Parameter()] [scriptblock] $ScriptBlock,
        [Parameter()] [string] $ContentType = 'application/json',
        [Parameter()] [object[]] $ArgumentList
    )
    Start-PLReceiver
    if (Test-PLWebSocket -Name $Name) { throw "Already connected to websocket with name $Name" }
    # Pode stores the definition after the connect returns, so the receive runspace drops the
    # messages that arrive first (no Logic yet). Storing it first keeps the counts exact and
    # changes nothing per message.
    $script:PL.Connections[$Name] = @{
        Name           = $Name
        Url            = $Url
        Logic          = $ScriptBlock
        UsingVariables = $null
        Arguments      = $ArgumentList
    }
    try {
        $null = Wait-PLTask -Task $script:PL.Receiver.ConnectWebSocket($Name, $Url, $ContentType)
    }
    catch {
        $script:PL.Connections.Remove($Name)
        $script:PL.Receiver.RemoveWebSocket($Name)
        throw
    }
}

function Test-PLWebSocket {
    [CmdletBinding()]
    [OutputType([bool])]
    param([Parameter(Mandatory = $true)] [string] $Name)
    $found = ($null -ne $script:PL.Receiver.GetWebSocket($Name))
    if ($found) { return $true }
    if ($script:PL.Connections.ContainsKey($Name)) { Remove-PLWebSocket -Name $Name }
    return $false
}

function Send-PLWebSocket {
    [CmdletBinding()]
    param(
        [Parameter()] [string] $Name,
        [Parameter()] $Message,
        [Parameter()] [int] $Depth = 10,
        [Parameter()] [ValidateSet('Text', 'Binary')] [string] $Type = 'Text'
    )
    if ([string]::IsNullOrWhiteSpace($Name)) { throw 'No Name for a WebSocket to send message to supplied' }
    if (!(Test-PLWebSocket -Name $Name)) { return }
    $ws = $script:PL.Receiver.GetWebSocket($Name)
    $Message = ConvertTo-PLResponseContent -InputObject $Message -ContentType $ws.ContentType -Depth $Depth
    $null = Wait-PLTask -Task $ws.Send($Message, $Type)
}

function Disconnect-PLWebSocket {
    [CmdletBinding()]
    param([Parameter()] [string] $Name)
    if (Test-PLWebSocket -Name $Name) { $script:PL.Receiver.DisconnectWebSocket($Name) }
}

function Remove-PLWebSocket {
    [CmdletBinding()]
    param([Parameter()] [string] $Name)
    $script:PL.Receiver.RemoveWebSocket($Name)
    $script:PL.Connections.Remove($Name)
}
