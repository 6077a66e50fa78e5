# Pode integration without Pode: a fake "Pode" module whose $PodeContext carries a runspace state
# with a Send-PodeSignal function. Handlers must run where that function and $PodeContext work,
# with Pode's global lockable as $WsEvent.Lockable, once the (fake) server has started.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer

    $script:Signals = [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
    $script:Lockable = [hashtable]::Synchronized(@{})
    $script:Start = [System.Threading.CancellationTokenSource]::new()
    $state = [initialsessionstate]::CreateDefault()
    $state.Commands.Add([System.Management.Automation.Runspaces.SessionStateFunctionEntry]::new('Send-PodeSignal',
            'param($Value, $Path) $PodeContext.Server.Signals.Enqueue(@{ Value = $Value; Path = $Path; HasContext = ($null -ne $PodeContext) })'))
    $script:Context = @{
        Server        = @{ Signals = $script:Signals }
        Tokens        = @{ Cancellation = [System.Threading.CancellationTokenSource]::new(); Start = $script:Start }
        Threading     = @{ Lockables = @{ Global = $script:Lockable } }
        RunspaceState = $state
    }
    $state.Variables.Add([System.Management.Automation.Runspaces.SessionStateVariableEntry]::new('PodeContext', $script:Context, $null))

    # Pode keeps $PodeContext in its module scope
    $script:FakePode = New-Module -Name Pode -ArgumentList $script:Context -ScriptBlock {
        param($Context)
        $PodeContext = $Context
        function Get-PodeFakeMarker { 'fake' }
        Export-ModuleMember -Function Get-PodeFakeMarker
    } | Import-Module -PassThru
}

AfterAll {
    Remove-TestConnections
    Remove-Module -ModuleInfo $script:FakePode -ErrorAction SilentlyContinue
    $script:Context.Tokens.Cancellation.Cancel()
    # later tests get standalone dispatchers again
    [PodeWebSocket.Dispatcher]::StopAll(5000)
    Stop-TestPeer -Peer $script:Peer
}

Describe 'Inside a (fake) Pode server' {
    It 'runs handlers where Pode commands and $PodeContext work, after the server started' {
        Connect-PodeWebSocket -Name 'Relay' -Url "$($script:Peer.Url)/echo?greet=to-browsers" -ContentType 'text/plain' -ScriptBlock {
            Send-PodeSignal -Value $WsEvent.Request.Body -Path '/ws'
            $WsEvent.Lockable['seen'] = [runspace]::DefaultRunspace.Name
        }
        [PodeWebSocket.Dispatcher]::Flavor.IsPode | Should -BeTrue
        # Pode cancels its Start token once its own runspace state is complete
        $script:Start.Cancel()

        Wait-Until { $script:Signals.Count -ge 1 } -Because 'the handler to call Send-PodeSignal'
        $signal = $null
        $null = $script:Signals.TryDequeue([ref]$signal)
        $signal.Value | Should -Be 'to-browsers'
        $signal.Path | Should -Be '/ws'
        $signal.HasContext | Should -BeTrue
        Wait-Until { $script:Lockable.ContainsKey('seen') } -Because "the handler to use Pode's lockable"
        $script:Lockable['seen'] | Should -BeLike 'PodeWebSocket_Dispatcher_*'
        (Get-PodeWebSocket -Name 'Relay').HandlerErrors | Should -Be 0
    }
}
