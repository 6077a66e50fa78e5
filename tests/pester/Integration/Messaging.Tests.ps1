# Messages both ways through a real server: every $WsEvent field, JSON parsing, objects sent as
# compact JSON, binary, -ArgumentList and $using:, -FilePath, headers, subprotocol, credentials.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule
    $script:Peer = Start-TestPeer -Arguments '--subprotocol', 'chat.v2'
    $script:Url = $script:Peer.Url

    # How many different arrays (by reference, not content) are among these.
    function Measure-DistinctArrays([object[]]$Arrays) {
        $distinct = [System.Collections.Generic.HashSet[object]]::new([System.Collections.Generic.ReferenceEqualityComparer]::Instance)
        foreach ($array in $Arrays) { $null = $distinct.Add($array) }
        return $distinct.Count
    }
}

AfterAll {
    Remove-TestConnections
    Stop-TestPeer -Peer $script:Peer
}

Describe '$WsEvent in a handler' {
    AfterEach {
        Remove-TestConnections
    }

    It 'has every field, filled as in Pode' {
        $sink = New-TestSink
        $before = [DateTime]::UtcNow.AddSeconds(-1)
        Connect-PodeWebSocket -Name 'Fields' -Url "$($script:Url)/echo" -ScriptBlock {
            param($Sink)
            $Sink.Enqueue(@{
                    Event       = $WsEvent
                    Keys        = @($WsEvent.Keys | Sort-Object)
                    DataA       = $WsEvent.Data.a
                    IsConnected = $WsEvent.Request.WebSocket.IsConnected
                    Runspace    = [runspace]::DefaultRunspace.Name
                })
        } -ArgumentList (, $sink)
        Send-PodeWebSocket -Name 'Fields' -Message '{"a":42,"list":[1,2]}'

        Wait-Until { $sink.Count -ge 1 } -Because 'the handler to run'
        $item = $null
        $null = $sink.TryDequeue([ref]$item)
        $wsEvent = $item.Event

        $item.Keys | Should -Be @('Data', 'Files', 'Lockable', 'Metadata', 'Request', 'Timestamp')
        $wsEvent.Request.Body | Should -BeExactly '{"a":42,"list":[1,2]}'
        $wsEvent.Request.RawBody | Should -BeOfType [byte]
        [System.Text.Encoding]::UTF8.GetString($wsEvent.Request.RawBody) | Should -BeExactly '{"a":42,"list":[1,2]}'
        $wsEvent.Request.ContentLength | Should -Be 21
        $wsEvent.Request.Type | Should -Be 'Text'
        $wsEvent.Request.WebSocket.Name | Should -Be 'Fields'
        $wsEvent.Request.WebSocket.Url | Should -Be "$($script:Url)/echo"
        $wsEvent.Request.WebSocket.ContentType | Should -Be 'application/json'
        $item.IsConnected | Should -BeTrue
        $item.DataA | Should -Be 42
        $wsEvent.Data.list | Should -Be @(1, 2)
        $wsEvent.Files | Should -BeOfType [hashtable]
        $wsEvent.Files.Count | Should -Be 0
        $wsEvent.Metadata | Should -BeOfType [hashtable]
        $wsEvent.Metadata.Count | Should -Be 0
        [object]::ReferenceEquals($wsEvent.Lockable, [PodeWebSocket.Dispatcher]::Lockable) | Should -BeTrue
        $wsEvent.Lockable.IsSynchronized | Should -BeTrue
        $wsEvent.Timestamp | Should -BeOfType [datetime]
        $wsEvent.Timestamp.Kind | Should -Be 'Utc'
        $wsEvent.Timestamp | Should -BeGreaterThan $before
        $wsEvent.Timestamp | Should -BeLessOrEqual ([DateTime]::UtcNow)
        $item.Runspace | Should -BeLike 'PodeWebSocket_Dispatcher_*'
    }

    It 'parses Data by the connection content type' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Xml' -Url "$($script:Url)/echo" -ContentType 'application/xml; charset=utf-8' -ScriptBlock {
            ($using:sink).Enqueue($WsEvent.Data.note.to)
        }
        Send-PodeWebSocket -Name 'Xml' -Message '<note><to>Pode</to></note>'
        Wait-Until { $sink.Count -ge 1 } -Because 'the XML message'
        $sink.ToArray() | Should -Be @('Pode')
    }

    It 'starts every message with fresh handler variables' {
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Fresh' -Url "$($script:Url)/echo" -ContentType 'text/plain' -ScriptBlock {
            param($Sink)
            if ($WsEvent.Request.Body -eq 'first') { $remembered = 'leaked' }
            $Sink.Enqueue("$($WsEvent.Request.Body)=$remembered")
        } -ArgumentList (, $sink)
        'first', 'second' | Send-PodeWebSocket -Name 'Fresh'
        Wait-Until { $sink.Count -ge 2 } -Because 'both messages'
        $sink.ToArray() | Should -Be @('first=leaked', 'second=')
    }

    It 'records a failing handler and keeps dispatching' {
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
        try {
            $sink = New-TestSink
            Connect-PodeWebSocket -Name 'Failing' -Url "$($script:Url)/echo" -ContentType 'text/plain' -ScriptBlock {
                param($Sink)
                if ($WsEvent.Request.Body -eq 'bad') { throw "handler broke on $($WsEvent.Request.Body)" }
                Write-Error 'a non-terminating error'
                $Sink.Enqueue($WsEvent.Request.Body)
            } -ArgumentList (, $sink)
            'bad', 'good' | Send-PodeWebSocket -Name 'Failing'
            Wait-Until { $sink.Count -ge 1 } -Because 'the message after the failure'
            $sink.ToArray() | Should -Be @('good')
            Wait-Until { (Get-PodeWebSocket -Name 'Failing').HandlerErrors -ge 2 } -Because 'both errors to be recorded'
            $info = Get-PodeWebSocket -Name 'Failing'
            $info.HandlerErrors | Should -Be 2
            $info.LastHandlerError.Message | Should -Be 'a non-terminating error'
            $info.LastHandlerError.Handler | Should -Be 'message handler'
            $info.LastHandlerError.ErrorRecord | Should -BeOfType [System.Management.Automation.ErrorRecord]
        }
        finally {
            [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
        }
    }
}

Describe 'Sending and receiving' {
    AfterEach {
        Remove-TestConnections
    }

    It 'sends a hashtable as compact JSON and parses the answer' {
        Connect-PodeWebSocket -Name 'Json' -Url "$($script:Url)/echo"
        Send-PodeWebSocket -Name 'Json' -Message ([ordered]@{ name = 'pode'; values = @(1, 2); nested = @{ ok = $true } })
        $reply = Receive-PodeWebSocket -Name 'Json' -Timeout 10
        $reply.Request.Body | Should -BeExactly '{"name":"pode","values":[1,2],"nested":{"ok":true}}'
        $reply.Data.values[1] | Should -Be 2
        $reply.Data.nested.ok | Should -BeTrue
        Send-PodeWebSocket -Name 'Json' -Message ''
        (Receive-PodeWebSocket -Name 'Json' -Timeout 10).Request.Body | Should -BeExactly '{}'
    }

    It 'round-trips binary messages as raw bytes' {
        Connect-PodeWebSocket -Name 'Bin' -Url "$($script:Url)/echo"
        $bytes = [byte[]](0..255)
        Send-PodeWebSocket -Name 'Bin' -Message $bytes -Type Binary
        $reply = Receive-PodeWebSocket -Name 'Bin' -Timeout 10
        $reply.Request.Type | Should -Be 'Binary'
        $reply.Request.ContentLength | Should -Be 256
        [System.Linq.Enumerable]::SequenceEqual([byte[]]$reply.Request.RawBody, $bytes) | Should -BeTrue

        # a byte[] without -Type is binary too; a string with -Type Binary goes as its UTF-8 bytes
        Send-PodeWebSocket -Name 'Bin' -Message ([byte[]](1, 2, 3))
        Send-PodeWebSocket -Name 'Bin' -Message 'é' -Type Binary
        $replies = Receive-PodeWebSocket -Name 'Bin' -Count 2 -Timeout 10
        $replies[0].Request.RawBody | Should -Be @(1, 2, 3)
        $replies[1].Request.Type | Should -Be 'Binary'
        $replies[1].Request.RawBody | Should -Be @(0xC3, 0xA9)

        # and a binary message from the server reaches a handler as Binary
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'BinHandler' -Url "$($script:Url)/echo" -ScriptBlock {
            ($using:sink).Enqueue(@($WsEvent.Request.Type, [System.Convert]::ToHexString($WsEvent.Request.RawBody)))
        }
        Send-PodeWebSocket -Name 'BinHandler' -Message '!binary 00ff10'
        Wait-Until { $sink.Count -ge 1 } -Because 'the binary message'
        $sink.ToArray()[0] | Should -Be @('Binary', '00FF10')
    }

    It 'gives a text message its UTF-8 bytes as RawBody, the same array on every read' {
        $text = 'héllo wörld €𝄞'
        $utf8 = [System.Text.Encoding]::UTF8.GetBytes($text)
        Connect-PodeWebSocket -Name 'TextRaw' -Url "$($script:Url)/echo" -ContentType 'text/plain'
        Send-PodeWebSocket -Name 'TextRaw' -Message $text
        $reply = Receive-PodeWebSocket -Name 'TextRaw' -Timeout 10
        $reply.Request.Type | Should -Be 'Text'
        $reply.Request.Body | Should -BeExactly $text
        $reply.Request.ContentLength | Should -Be $utf8.Length
        [System.Linq.Enumerable]::SequenceEqual([byte[]]$reply.Request.RawBody, $utf8) | Should -BeTrue
        [object]::ReferenceEquals($reply.Request.RawBody, $reply.Request.RawBody) | Should -BeTrue

        # in a handler too, RawBody read before Body
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'TextRawHandler' -Url "$($script:Url)/echo" -ScriptBlock {
            ($using:sink).Enqueue(@([System.Convert]::ToHexString($WsEvent.Request.RawBody), $WsEvent.Request.ContentLength, $WsEvent.Request.Body))
        }
        Send-PodeWebSocket -Name 'TextRawHandler' -Message $text
        Wait-Until { $sink.Count -ge 1 } -Because 'the text message'
        $sink.ToArray()[0] | Should -Be @([System.Convert]::ToHexString($utf8), $utf8.Length, $text)
    }

    It 'hands every one of many large messages to the handler intact' {
        # 24 messages of 4 MiB: past the budget of large copies at which the module starts a gen-2
        # collection (twice the largest message, at least 32 MiB), twice over
        $sink = New-TestSink
        $size = 4MB
        Connect-PodeWebSocket -Name 'Large' -Url "$($script:Url)/echo" -ScriptBlock {
            $raw = $WsEvent.Request.RawBody
            $seq = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)   # the number it starts with
            ($using:sink).Enqueue(@($raw.Length, $seq, [System.Array]::LastIndexOf($raw, [byte]1)))
        }
        Send-PodeWebSocket -Name 'Large' -Message "!large 24 $size"
        Wait-Until { $sink.Count -ge 24 } -Timeout 120 -Because 'all 24 large messages'
        $seen = $sink.ToArray()
        $seen.Count | Should -Be 24
        for ($i = 0; $i -lt 24; $i++) {
            # the length, the number it starts with, and no byte 1 after its first 8
            $expectedLast = if ($i + 1 -eq 1) { 7 } else { -1 }
            $seen[$i] | Should -Be @($size, [uint64]($i + 1), $expectedLast) -Because "message $($i + 1) arrives whole and in order"
        }
    }

    It 'keeps every large message a handler or Receive-PodeWebSocket kept intact, each its own array' {
        # From 1 MiB the core reads a binary message straight into a managed array that becomes
        # RawBody, and arrays nothing references any more are used again for later messages of
        # the same length: one still kept anywhere must never be. The handler keeps every other
        # message; 24 x 2 MiB passes the budget at which the module collects (32 MiB) a few times.
        $kept = New-TestSink
        $seen = New-TestSink
        $size = 2MB
        # uncompressed, as the read into managed arrays needs (the peer would deflate otherwise)
        Connect-PodeWebSocket -Name 'Kept' -Url "$($script:Url)/echo" -NoCompression -ScriptBlock {
            $raw = $WsEvent.Request.RawBody
            $seq = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)   # the number it starts with
            ($using:seen).Enqueue(@($raw.Length, $seq, [System.Array]::LastIndexOf($raw, [byte]1)))
            if ($seq % 2 -eq 1) { ($using:kept).Enqueue($raw) }
        }
        Send-PodeWebSocket -Name 'Kept' -Message "!large 24 $size"
        Wait-Until { $seen.Count -ge 24 } -Timeout 120 -Because 'all 24 large messages'
        $all = $seen.ToArray()
        for ($i = 0; $i -lt 24; $i++) {
            $all[$i] | Should -Be @($size, [uint64]($i + 1), $(if ($i -eq 0) { 7 } else { -1 })) -Because "message $($i + 1) arrives whole and in order"
        }
        $kept.Count | Should -Be 12
        Connect-PodeWebSocket -Name 'KeptReceive' -Url "$($script:Url)/echo" -NoCompression
        Send-PodeWebSocket -Name 'KeptReceive' -Message "!large 6 $size"
        $received = @(Receive-PodeWebSocket -Name 'KeptReceive' -Count 6 -Timeout 60 | ForEach-Object { , $_.Request.RawBody })
        foreach ($set in @(@($kept.ToArray()), $received)) {
            for ($i = 0; $i -lt $set.Count; $i++) {
                $raw = [byte[]]$set[$i]
                $seq = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)   # the number it starts with
                $number = if ($set.Count -eq 12) { 2 * $i + 1 } else { $i + 1 }   # the handler kept messages 1, 3, 5 ...
                @($raw.Length, $seq, [System.Array]::LastIndexOf($raw, [byte]1)) |
                    Should -Be @($size, [uint64]$number, $(if ($number -eq 1) { 7 } else { -1 })) -Because "message $number keeps its own bytes"
            }
            Measure-DistinctArrays $set | Should -Be $set.Count -Because 'every message has an array of its own'
        }
        $received.Count | Should -Be 6
    }

    It 'with -ReuseRawBody, hands each large message intact to its handler and uses its array again once the handler moved on' {
        # 16 x 8 MiB. The handler (against the rule, to count them) keeps every RawBody it got: with
        # -ReuseRawBody only the arrays in flight at once go round (the queue's 16 MiB read ahead,
        # the message being read, the batch being handled), where the default gives each message
        # its own (the test above). A $WsEvent kept past its handler shows no bytes, never another
        # message's.
        $seen = New-TestSink
        $arrays = New-TestSink
        $kept = New-TestSink
        $small = New-TestSink
        $size = 8MB
        Connect-PodeWebSocket -Name 'ReuseRaw' -Url "$($script:Url)/echo" -NoCompression -ReuseRawBody -ScriptBlock {
            $raw = $WsEvent.Request.RawBody
            if ($raw.Length -lt 1MB) { ($using:small).Enqueue($WsEvent); return }
            $seq = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)   # the number it starts with
            $lastOne = [System.Array]::LastIndexOf($raw, [byte]1)
            # read again as the handler ends (the first messages' handlers take a while, as the
            # next messages arrive): another message written into this array meanwhile would have
            # changed its first bytes (a message is written from its start)
            if ($seq -le 4) { Start-Sleep -Milliseconds 30 }
            $seqAtEnd = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)
            ($using:seen).Enqueue(@($raw.Length, $seq, $lastOne, $seqAtEnd))
            ($using:arrays).Enqueue($raw)
            if ($seq -eq 1) { ($using:kept).Enqueue($WsEvent) }
        }
        (Get-PodeWebSocket -Name 'ReuseRaw').ReuseRawBody | Should -BeTrue
        Send-PodeWebSocket -Name 'ReuseRaw' -Message "!large 16 $size"
        Wait-Until { $seen.Count -ge 16 } -Timeout 120 -Because 'all 16 large messages'
        $all = $seen.ToArray()
        for ($i = 0; $i -lt 16; $i++) {
            $all[$i] | Should -Be @($size, [uint64]($i + 1), $(if ($i -eq 0) { 7 } else { -1 }), [uint64]($i + 1)) -Because "message $($i + 1) is whole while its handler runs"
        }
        Measure-DistinctArrays $arrays.ToArray() | Should -BeLessOrEqual 6 -Because 'arrays go back once handled (16 messages, at most 5 of them in flight at once)'
        $first = $kept.ToArray()[0]
        $first.Request.ContentLength | Should -Be $size
        $first.Request.RawBody.Length | Should -Be 0 -Because 'a $WsEvent kept past its handler has lent its array back'
        $first.Request.Body | Should -BeExactly '' -Because 'the handler did not read Body before its array went back'
        $first.Data | Should -BeNullOrEmpty
        # smaller and text messages keep their bytes past the handler on the same connection
        Send-PodeWebSocket -Name 'ReuseRaw' -Message '!binary 0102030405'
        Send-PodeWebSocket -Name 'ReuseRaw' -Message '!text {"a":1}'
        Wait-Until { $small.Count -ge 2 } -Because 'the small binary and the text message'
        $smallEvents = $small.ToArray()
        $smallEvents[0].Request.RawBody | Should -Be @(1, 2, 3, 4, 5)
        $smallEvents[1].Request.Body | Should -BeExactly '{"a":1}'
        $smallEvents[1].Data.a | Should -Be 1
        # the default keeps RawBody for as long as anyone holds it
        Connect-PodeWebSocket -Name 'KeepRaw' -Url "$($script:Url)/echo" -NoCompression -ScriptBlock { ($using:kept).Enqueue($WsEvent) }
        (Get-PodeWebSocket -Name 'KeepRaw').ReuseRawBody | Should -BeFalse
        Send-PodeWebSocket -Name 'KeepRaw' -Message "!large 2 $size"
        Wait-Until { $kept.Count -ge 3 } -Timeout 60 -Because 'the 2 large messages'
        $kept.ToArray()[1].Request.RawBody.Length | Should -Be $size
    }

    It 'with -ReuseRawBody, goes on after a handler error with the next message, intact, and still reuses the arrays' {
        # every 4th message fails its handler: the run resumes at the next message, and the failed
        # message's array goes back like any other
        $seen = New-TestSink
        $arrays = New-TestSink
        $size = 8MB
        Connect-PodeWebSocket -Name 'ReuseFail' -Url "$($script:Url)/echo" -NoCompression -ReuseRawBody -ScriptBlock {
            $raw = $WsEvent.Request.RawBody
            $seq = [System.Buffers.Binary.BinaryPrimitives]::ReadUInt64BigEndian($raw)   # the number it starts with
            ($using:seen).Enqueue(@($raw.Length, $seq))
            ($using:arrays).Enqueue($raw)
            if ($seq % 4 -eq 0) { throw "failing on message $seq" }
        }
        [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $false
        try {
            Send-PodeWebSocket -Name 'ReuseFail' -Message "!large 16 $size"
            Wait-Until { $seen.Count -ge 16 } -Timeout 120 -Because 'all 16 large messages, past the 4 failures'
            Wait-Until { (Get-PodeWebSocket -Name 'ReuseFail').HandlerErrors -ge 4 } -Because 'the 4 failures to be counted'
        }
        finally {
            [PodeWebSocket.Dispatcher]::ShowHandlerErrors = $true
        }
        $all = $seen.ToArray()
        for ($i = 0; $i -lt 16; $i++) {
            $all[$i] | Should -Be @($size, [uint64]($i + 1)) -Because "message $($i + 1) reaches the handler whole and in order"
        }
        $info = Get-PodeWebSocket -Name 'ReuseFail'
        $info.HandlerErrors | Should -Be 4
        $info.LastHandlerError.Message | Should -BeLike '*failing on message 16*'
        Measure-DistinctArrays $arrays.ToArray() | Should -BeLessOrEqual 6 -Because 'the arrays of failed messages go back too (16 messages, at most 5 of them in flight at once)'
    }

    It 'refuses -ReuseRawBody on a connection without a handler' {
        { Connect-PodeWebSocket -Name 'ReuseNoHandler' -Url "$($script:Url)/echo" -ReuseRawBody -ErrorAction Stop } |
            Should -Throw -ErrorId 'PodeWebSocket.InvalidArgument,Connect-PodeWebSocket' -ExpectedMessage '*-ReuseRawBody*-ScriptBlock or -FilePath*'
        Test-PodeWebSocket -Name 'ReuseNoHandler' | Should -BeFalse
    }

    It 'reuses the arrays of large messages nobody keeps, and lets them go 5 s after the last one' {
        # The arrays come back to the free list once a collection found them unreachable (at most 4
        # arrays, 64 MiB); the dispatchers' housekeeping, which runs every 5 s even while nothing
        # arrives, lets them go once no large message came for 5 s.
        $free = [PodeWebSocket.NativeLibraryLoader].Assembly.GetType('PodeWebSocket.RecycledArrays', $true).
            GetField('Free', [System.Reflection.BindingFlags]'NonPublic,Static').GetValue($null)
        # the tests before this one leave arrays of their own: start from an empty free list
        Wait-Until { $free.Count -eq 0 } -Timeout 20 -Because 'the earlier tests'' arrays to be let go'
        $sink = New-TestSink
        Connect-PodeWebSocket -Name 'Reuse' -Url "$($script:Url)/echo" -NoCompression -ScriptBlock {
            ($using:sink).Enqueue($WsEvent.Request.RawBody.Length)
        }
        Send-PodeWebSocket -Name 'Reuse' -Message '!large 6 2097152'
        Wait-Until { $sink.Count -ge 6 } -Timeout 60 -Because 'the 6 large messages'
        Wait-Until { [GC]::Collect(); [GC]::WaitForPendingFinalizers(); $free.Count -gt 0 } -Timeout 4 -Because 'arrays no handler keeps to come back'
        $free.Count | Should -BeLessOrEqual 4
        $free.Bytes | Should -BeLessOrEqual 64MB
        $sink.ToArray() | Should -Be (@(2MB) * 6)
        $held = [System.Diagnostics.Stopwatch]::StartNew()
        Wait-Until { $free.Count -eq 0 } -Timeout 20 -Because 'the kept arrays to be let go with no large message for 5 s'
        $held.Elapsed.TotalSeconds | Should -BeGreaterThan 0.5 -Because 'they are kept while large messages may still come'
    }

    It 'passes -ArgumentList and $using: values to the handler' {
        $sink = New-TestSink
        $suffix = 'from-using'
        Connect-PodeWebSocket -Name 'Args' -Url "$($script:Url)/echo" -ContentType 'text/plain' -ScriptBlock {
            param($Prefix, $Target)
            $Target.Enqueue("$Prefix|$($WsEvent.Request.Body)|$($using:suffix)")
        } -ArgumentList 'from-args', $sink
        Send-PodeWebSocket -Name 'Args' -Message 'body'
        Wait-Until { $sink.Count -ge 1 } -Because 'the handler'
        $sink.ToArray() | Should -Be @('from-args|body|from-using')
    }

    It 'runs a handler from -FilePath' {
        $sink = New-TestSink
        $marker = 'file-marker'
        $file = Join-Path $TestDrive 'handler.ps1'
        Set-Content -LiteralPath $file -Value @'
param($Target)
$Target.Enqueue("$($using:marker):$($WsEvent.Request.Body)")
'@
        Push-Location $TestDrive
        try {
            Connect-PodeWebSocket -Name 'File' -Url "$($script:Url)/echo" -FilePath './handler.ps1' -ArgumentList (, $sink) -ContentType 'text/plain'
        }
        finally {
            Pop-Location
        }
        Send-PodeWebSocket -Name 'File' -Message 'hi'
        Wait-Until { $sink.Count -ge 1 } -Because 'the file handler'
        $sink.ToArray() | Should -Be @('file-marker:hi')
    }

    It 'sends headers, credentials and subprotocols in the handshake' {
        $credential = [pscredential]::new('user', (ConvertTo-SecureString 'pass' -AsPlainText -Force))
        Connect-PodeWebSocket -Name 'Auth' -Url "$($script:Url)/auth" -Credential $credential -Headers @{ 'X-Test' = 'abc' } -SubProtocol 'chat.v1', 'chat.v2'

        Send-PodeWebSocket -Name 'Auth' -Message '!headers'
        $headers = (Receive-PodeWebSocket -Name 'Auth' -Timeout 10).Data
        $headers['x-test'] | Should -Be 'abc'
        $headers['authorization'] | Should -Be 'Basic dXNlcjpwYXNz'
        $headers['sec-websocket-protocol'] | Should -Be 'chat.v1, chat.v2'

        Send-PodeWebSocket -Name 'Auth' -Message '!subprotocol'
        (Receive-PodeWebSocket -Name 'Auth' -Timeout 10).Request.Body | Should -Be 'chat.v2'
        (Get-PodeWebSocket -Name 'Auth').SubProtocol | Should -Be 'chat.v2'
    }

    It 'keeps the order of many messages received without a handler' {
        Connect-PodeWebSocket -Name 'Pull' -Url "$($script:Url)/echo"
        Send-PodeWebSocket -Name 'Pull' -Message '!send 500'
        $messages = Receive-PodeWebSocket -Name 'Pull' -Count 500 -Timeout 20
        $messages.Count | Should -Be 500
        @($messages | ForEach-Object { [int]$_.Request.Body }) | Should -Be (1..500)
        { Receive-PodeWebSocket -Name 'Pull' -Timeout 0.3 -ErrorAction Stop } | Should -Throw -ErrorId 'PodeWebSocket.Timeout,*'
    }
}
