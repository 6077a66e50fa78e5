# Shared by the Pester tests: import the module under test, start/stop the python peer server,
# wait for a condition with a deadline (never a fixed sleep), make TLS certificates.

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$script:ModuleManifest = Join-Path $script:RepoRoot 'powershell/PodeWebSocket/PodeWebSocket.psd1'
$script:PeerScript = Join-Path $PSScriptRoot 'peers/peer.py'

function Import-TestModule {
    if (-not (Get-Module -Name PodeWebSocket)) {
        Import-Module $script:ModuleManifest -Force -ErrorAction Stop
    }
}

function Get-TestPwsh {
    # The pwsh executable (when pwsh is a .NET tool, this process is "dotnet", not pwsh)
    foreach ($candidate in @((Join-Path $PSHOME 'pwsh'), (Join-Path $PSHOME 'pwsh.exe'))) {
        if (Test-Path -LiteralPath $candidate -PathType Leaf) {
            return $candidate
        }
    }
    return (Get-Command -Name pwsh -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
}

function Start-TestServerProcess {
    # Starts a test server process with its standard streams redirected (it exits when its stdin
    # closes) and waits up to $TimeoutMs for the first line it prints, which names its port.
    # Returns @{ Process; Line } (Line is $null when nothing came in time).
    param(
        [Parameter(Mandatory = $true)]
        [string]$FilePath,

        [string[]]$Arguments = @(),

        [int]$TimeoutMs = 15000
    )

    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $Arguments) {
        $psi.ArgumentList.Add($argument)
    }
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    $line = $process.StandardOutput.ReadLineAsync()
    return [pscustomobject]@{
        Process = $process
        Line    = $(if ($line.Wait($TimeoutMs)) { $line.Result } else { $null })
    }
}

function Start-TestPeer {
    # Starts peers/peer.py on 127.0.0.1 port 0 and returns @{ Port; Url; Process }.
    param(
        [string[]]$Arguments = @()
    )

    $started = Start-TestServerProcess -FilePath 'python3' -Arguments (@($script:PeerScript) + $Arguments)
    $process = $started.Process
    if ($started.Line -notmatch '^PORT (\d+)$') {
        $errorText = ''
        if ($process.HasExited) {
            $errorText = $process.StandardError.ReadToEnd()
        }
        Stop-TestPeer -Peer @{ Process = $process }
        throw "the test peer did not start: '$($started.Line)' $errorText"
    }
    $port = [int]$Matches[1]
    $scheme = $(if ($Arguments -contains '--tls') { 'wss' } else { 'ws' })
    return [pscustomobject]@{
        Port    = $port
        Url     = "$($scheme)://127.0.0.1:$port"
        Process = $process
    }
}

function Stop-TestPeer {
    param(
        [Parameter(Mandatory = $true)]
        $Peer
    )

    $process = $Peer.Process
    if ($null -eq $process) {
        return
    }
    try {
        if (-not $process.HasExited) {
            # the peer exits when its stdin closes
            $process.StandardInput.Close()
            if (-not $process.WaitForExit(5000)) {
                $process.Kill($true)
                $null = $process.WaitForExit(5000)
            }
        }
    }
    finally {
        $process.Dispose()
    }
}

function Wait-Until {
    # Polls a condition until it is true or the deadline passes (then fails with $Because).
    param(
        [Parameter(Mandatory = $true, Position = 0)]
        [scriptblock]
        $Condition,

        [double]
        $Timeout = 10,

        [string]
        $Because = 'the condition'
    )

    $deadline = [DateTime]::UtcNow.AddSeconds($Timeout)
    while ($true) {
        if (& $Condition) {
            return
        }
        if ([DateTime]::UtcNow -gt $deadline) {
            throw "timed out after $Timeout s waiting for $Because"
        }
        Start-Sleep -Milliseconds 20
    }
}

function New-TestCertificate {
    # A self-signed certificate for localhost/127.0.0.1 (PEM cert + key, and a PKCS#12 copy).
    param(
        [Parameter(Mandatory = $true)]
        [string]
        $Directory,

        [string]
        $Name = 'server',

        [string]
        $Subject = '/CN=localhost'
    )

    $null = New-Item -ItemType Directory -Path $Directory -Force
    $cert = Join-Path $Directory "$Name.pem"
    $key = Join-Path $Directory "$Name.key"
    $pfx = Join-Path $Directory "$Name.pfx"
    $output = & openssl req -x509 -newkey rsa:2048 -nodes -keyout $key -out $cert -days 2 -subj $Subject `
        -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "openssl req failed: $output"
    }
    $output = & openssl pkcs12 -export -in $cert -inkey $key -out $pfx -passout pass:test 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "openssl pkcs12 failed: $output"
    }
    return [pscustomobject]@{ Cert = $cert; Key = $key; Pfx = $pfx; PfxPassword = 'test' }
}

function New-TestSink {
    # A thread-safe queue handlers can write to (pass it as -ArgumentList (,$sink) or $using:sink).
    # the comma keeps PowerShell from unrolling the (empty) collection into nothing
    return , [System.Collections.Concurrent.ConcurrentQueue[object]]::new()
}

function New-TestShell {
    # A PowerShell instance in a runspace of its own, opened (another runspace of this process,
    # as a Pode route or timer is); Remove-TestShell disposes both.
    $runspace = [runspacefactory]::CreateRunspace()
    $runspace.Open()
    $shell = [powershell]::Create()
    $shell.Runspace = $runspace
    return $shell
}

function Remove-TestShell([powershell]$Shell) {
    $runspace = $Shell.Runspace
    $Shell.Dispose()
    $runspace.Dispose()
}

function Remove-TestConnections {
    foreach ($connection in @(Get-PodeWebSocket)) {
        Remove-PodeWebSocket -Name $connection.Name -ErrorAction SilentlyContinue
    }
}

function Invoke-TestProcess {
    # Runs a program to its end with the given environment variables (added to this process's);
    # returns its output lines (stderr after stdout) and exit code. Fails after $TimeoutSeconds.
    param(
        [Parameter(Mandatory = $true)] [string] $FilePath,
        [string[]] $Arguments = @(),
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory,
        [int] $TimeoutSeconds = 60
    )
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $Arguments) {
        $psi.ArgumentList.Add($argument)
    }
    foreach ($name in $Environment.Keys) {
        $psi.Environment[$name] = $Environment[$name]
    }
    if ($WorkingDirectory) {
        $psi.WorkingDirectory = $WorkingDirectory
    }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $process = [System.Diagnostics.Process]::Start($psi)
    try {
        $stderr = $process.StandardError.ReadToEndAsync()
        $stdout = $process.StandardOutput.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "$FilePath did not finish within $TimeoutSeconds s: $($stdout.Result)"
        }
        return [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = @(($stdout.Result + $stderr.Result) -split '\r?\n' | Where-Object { $_ -ne '' })
        }
    }
    finally {
        $process.Dispose()
    }
}

function Invoke-FreshPwsh {
    # Runs a command in a fresh pwsh (optionally behind a prefix command such as unshare) with the
    # given environment variables; returns its output lines (stderr included) and exit code.
    param(
        [Parameter(Mandatory = $true)] [string] $Command,
        [hashtable] $Environment = @{},
        [string[]] $Prefix = @(),
        [int] $TimeoutSeconds = 60
    )
    $arguments = @($Prefix) + @((Get-TestPwsh), '-NoProfile', '-NonInteractive', '-Command', $Command)
    return Invoke-TestProcess -FilePath $arguments[0] -Arguments @($arguments | Select-Object -Skip 1) -Environment $Environment -TimeoutSeconds $TimeoutSeconds
}
