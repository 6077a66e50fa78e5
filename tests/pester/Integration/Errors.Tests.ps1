# Each failure has its ErrorId, a proper category and the native cause in the message; a failed
# connect leaves nothing registered. TLS: untrusted, trusted CA, skip, client certificate.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer
    $script:Certs = Join-Path $TestDrive 'certs'
    $script:Server = New-TestCertificate -Directory $script:Certs -Name 'server'
    $script:Client = New-TestCertificate -Directory $script:Certs -Name 'client' -Subject '/CN=pester-client'
    $script:TlsPeer = Start-TestPeer -Arguments '--tls', $script:Server.Cert, $script:Server.Key
    $script:MutualPeer = Start-TestPeer -Arguments '--tls', $script:Server.Cert, $script:Server.Key, '--client-ca', $script:Client.Cert
    $script:ServerCa = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($script:Server.Cert)

    function Get-ConnectError([scriptblock]$Connect) {
        try {
            & $Connect
        }
        catch {
            return $_
        }
        throw 'the connect did not fail'
    }
}

AfterAll {
    Remove-TestConnections
    foreach ($peer in $script:Peer, $script:TlsPeer, $script:MutualPeer) {
        if ($peer) { Stop-TestPeer -Peer $peer }
    }
}

Describe 'Connect failures' {
    AfterEach {
        Remove-TestConnections
    }

    It '<Case>: <ErrorId> (<Category>)' -TestCases @(
        @{ Case = 'bad URL'; Url = 'tcp://127.0.0.1:80/'; ErrorId = 'PodeWebSocket.InvalidUrl'; Category = 'InvalidArgument'; Message = '*ws:// or wss://*' }
        @{ Case = 'DNS failure'; Url = 'ws://does-not-exist.invalid/'; ErrorId = 'PodeWebSocket.DnsFailure'; Category = 'ConnectionError'; Message = "*could not resolve host 'does-not-exist.invalid'*" }
        @{ Case = 'refused'; Url = 'REFUSED'; ErrorId = 'PodeWebSocket.ConnectionRefused'; Category = 'ConnectionError'; Message = '*connection refused*' }
        @{ Case = 'handshake 401'; Url = 'REJECT'; ErrorId = 'PodeWebSocket.HandshakeRejected'; Category = 'ConnectionError'; Message = '*401*' }
        @{ Case = 'TLS untrusted'; Url = 'TLS'; ErrorId = 'PodeWebSocket.TlsUntrusted'; Category = 'SecurityError'; Message = '*not trusted*' }
    ) {
        if ($Url -eq 'REFUSED') {
            # a port that was just free: nothing listens there
            $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
            $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
            $Url = "ws://127.0.0.1:$port/"
        }
        elseif ($Url -eq 'REJECT') { $Url = "$($script:Peer.Url)/reject/401" }
        elseif ($Url -eq 'TLS') { $Url = "$($script:TlsPeer.Url)/echo" }

        $failure = Get-ConnectError { Connect-PodeWebSocket -Name 'Failing' -Url $Url -ScriptBlock { } -ConnectTimeout 15 }
        $failure.FullyQualifiedErrorId | Should -Be "$ErrorId,Connect-PodeWebSocket"
        $failure.CategoryInfo.Category | Should -Be $Category
        $failure.TargetObject | Should -Be 'Failing'
        $failure.Exception.Message | Should -BeLike $Message
        $failure.Exception | Should -BeOfType [PodeWebSocket.PodeWebSocketException]
        Test-PodeWebSocket -Name 'Failing' | Should -BeFalse -Because 'a failed connect leaves nothing registered'
        [PodeWebSocket.Registry]::Find('Failing') | Should -BeNullOrEmpty
    }

    It 'times out with Timeout when the server never answers the handshake' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $failure = Get-ConnectError { Connect-PodeWebSocket -Name 'Silent' -Url "ws://127.0.0.1:$($listener.LocalEndpoint.Port)/" -ConnectTimeout 0.5 }
            $failure.FullyQualifiedErrorId | Should -Be 'PodeWebSocket.Timeout,Connect-PodeWebSocket'
            $failure.CategoryInfo.Category | Should -Be 'OperationTimeout'
        }
        finally {
            $listener.Stop()
        }
        Test-PodeWebSocket -Name 'Silent' | Should -BeFalse
    }
}

Describe 'TLS' {
    AfterEach {
        Remove-TestConnections
    }

    It 'connects when the server CA is trusted with -TrustedCertificate' {
        Connect-PodeWebSocket -Name 'Trusted' -Url "wss://localhost:$($script:TlsPeer.Port)/echo" -TrustedCertificate $script:ServerCa
        Send-PodeWebSocket -Name 'Trusted' -Message 'secure'
        (Receive-PodeWebSocket -Name 'Trusted' -Timeout 10).Request.Body | Should -Be 'secure'
    }

    It 'connects with -SkipCertificateCheck' {
        Connect-PodeWebSocket -Name 'Skipped' -Url "$($script:TlsPeer.Url)/echo" -SkipCertificateCheck
        (Get-PodeWebSocket -Name 'Skipped').State | Should -Be 'Open'
    }

    It 'presents a client certificate with -Certificate' {
        $clientCert = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($script:Client.Pfx, $script:Client.PfxPassword,
            [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable)
        Connect-PodeWebSocket -Name 'Mutual' -Url "$($script:MutualPeer.Url)/echo" -TrustedCertificate $script:ServerCa -Certificate $clientCert
        Send-PodeWebSocket -Name 'Mutual' -Message 'with cert'
        (Receive-PodeWebSocket -Name 'Mutual' -Timeout 10).Request.Body | Should -Be 'with cert'

        $failure = Get-ConnectError { Connect-PodeWebSocket -Name 'NoCert' -Url "$($script:MutualPeer.Url)/echo" -TrustedCertificate $script:ServerCa }
        $failure.FullyQualifiedErrorId | Should -BeLike 'PodeWebSocket.*,Connect-PodeWebSocket'
        Test-PodeWebSocket -Name 'NoCert' | Should -BeFalse
    }
}

Describe 'Errors after connecting' {
    AfterEach {
        Remove-TestConnections
    }

    It 'reports UnknownName with the connection as target, one error only' {
        Send-PodeWebSocket -Name 'nobody' -Message 'x' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1 -Because '-ErrorVariable holds the one error the command wrote'
        $failures[0].FullyQualifiedErrorId | Should -Be 'PodeWebSocket.UnknownName,Send-PodeWebSocket'
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $failures[0].TargetObject | Should -Be 'nobody'
        $failures[0].Exception.Message | Should -Match "no WebSocket connection is named 'nobody'"
    }
}
