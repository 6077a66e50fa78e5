# Conversion both ways per content type, as Pode's ConvertFrom-PodeRequestContent and
# ConvertTo-PodeResponseContent do, and the shape of $WsEvent with its lazily parsed Data.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    function New-Event([string]$Body, [string]$ContentType = 'application/json') {
        $connection = [PodeWebSocket.WsConnection]::new('unit', 'ws://unit', $ContentType)
        $request = [PodeWebSocket.WsRequest]::new($connection, [System.Text.Encoding]::UTF8.GetBytes($Body), $false)
        return [PodeWebSocket.WsEvent]::ForMessage($request, $ContentType, $null, [datetime]::UtcNow)
    }
}

Describe 'Receiving: $WsEvent.Data by content type' {
    It 'parses JSON like ConvertFrom-Json -AsHashtable' {
        $json = '{"name":"pode","list":[1,2,3],"nested":{"x":true}}'
        $data = [PodeWebSocket.ContentReader]::Parse('application/json', $json)
        $expected = $json | ConvertFrom-Json -AsHashtable
        $data.GetType() | Should -Be $expected.GetType()
        ($data | ConvertTo-Json -Compress -Depth 5) | Should -BeExactly ($expected | ConvertTo-Json -Compress -Depth 5)
        $data.nested.x | Should -BeTrue
    }

    It 'unrolls top-level arrays as the pipeline does (<Json>)' -TestCases @(
        @{ Json = '[]' }
        @{ Json = '[7]' }
        @{ Json = '[1,2]' }
        @{ Json = '[[1,2]]' }
        @{ Json = 'null' }
        @{ Json = '"text"' }
    ) {
        # what Pode stores: $Result.Data = ($Content | ConvertFrom-Json -AsHashtable)
        $expected = ($Json | ConvertFrom-Json -AsHashtable)
        $actual = [PodeWebSocket.ContentReader]::Parse('application/json', $Json)
        if ($null -eq $expected) {
            $actual | Should -BeNullOrEmpty
        }
        else {
            $actual.GetType() | Should -Be $expected.GetType()
            (ConvertTo-Json -InputObject $actual -Compress) | Should -BeExactly (ConvertTo-Json -InputObject $expected -Compress)
        }
    }

    It 'ignores content type parameters and a BOM' {
        $data = [PodeWebSocket.ContentReader]::Parse('application/json; charset=utf-8', "$([char]0xFEFF){""a"":1}")
        $data.a | Should -Be 1
    }

    It 'gives @{} for an empty or blank body and for no content type' {
        foreach ($case in @(@('application/json', ''), @('application/json', "  `n"), @('', '{"a":1}'), @('text/xml', ' '))) {
            $data = [PodeWebSocket.ContentReader]::Parse($case[0], $case[1])
            $data | Should -BeOfType [hashtable]
            $data.Count | Should -Be 0
        }
    }

    It 'parses XML into [xml]' {
        $data = [PodeWebSocket.ContentReader]::Parse('application/xml', '<root><item id="1">one</item></root>')
        $data | Should -BeOfType [System.Xml.XmlDocument]
        $data.root.item.'#text' | Should -Be 'one'
        ([PodeWebSocket.ContentReader]::Parse('text/xml', '<a>b</a>')).a | Should -Be 'b'
    }

    It 'parses CSV like ConvertFrom-Csv' {
        $data = [PodeWebSocket.ContentReader]::Parse('text/csv', "name,size`nalpha,1`nbeta,2")
        $data.Count | Should -Be 2
        $data[1].name | Should -Be 'beta'
        $data[1].size | Should -Be '2'
        ([PodeWebSocket.ContentReader]::Parse('text/csv', "name`nsolo")).name | Should -Be 'solo'
    }

    It 'parses form-urlencoded into a hashtable (repeated keys joined, no key as empty string)' {
        $data = [PodeWebSocket.ContentReader]::Parse('application/x-www-form-urlencoded', 'a=1&b=hello%20world&a=2&=x')
        $data | Should -BeOfType [hashtable]
        $data.a | Should -Be '1,2'
        $data.b | Should -Be 'hello world'
        $data[''] | Should -Be 'x'
    }

    It 'keeps other content types as the string' {
        [PodeWebSocket.ContentReader]::Parse('text/plain', 'just text') | Should -BeExactly 'just text'
        [PodeWebSocket.ContentReader]::Parse('application/octet-stream', 'raw') | Should -BeExactly 'raw'
    }
}

Describe 'Sending: message objects by content type' {
    It 'sends strings as they are' {
        foreach ($type in 'application/json', 'text/xml', 'text/csv', 'text/html', 'text/plain', '') {
            [PodeWebSocket.ContentWriter]::ToText('as is', $type, 10) | Should -BeExactly 'as is'
        }
    }

    It 'sends a blank string as {} for JSON and as empty for XML, CSV and HTML (Pode)' {
        [PodeWebSocket.ContentWriter]::ToText(' ', 'application/json', 10) | Should -BeExactly '{}'
        [PodeWebSocket.ContentWriter]::ToText(' ', 'application/vnd.api+json', 10) | Should -BeExactly '{}'
        [PodeWebSocket.ContentWriter]::ToText(' ', 'text/xml', 10) | Should -BeExactly ''
        [PodeWebSocket.ContentWriter]::ToText(' ', 'text/csv', 10) | Should -BeExactly ''
        [PodeWebSocket.ContentWriter]::ToText(' ', 'text/html', 10) | Should -BeExactly ''
    }

    It 'converts objects to compact JSON like ConvertTo-Json -Depth -Compress' {
        $value = [ordered]@{ a = 1; b = @(1, 2); c = [ordered]@{ d = 'x'; e = $null }; f = $true }
        [PodeWebSocket.ContentWriter]::ToText($value, 'application/json', 10) | Should -BeExactly '{"a":1,"b":[1,2],"c":{"d":"x","e":null},"f":true}'
        $deep = @{ l1 = @{ l2 = @{ l3 = 'deep' } } }
        [PodeWebSocket.ContentWriter]::ToText($deep, 'application/json', 1) |
            Should -BeExactly (ConvertTo-Json -InputObject $deep -Depth 1 -Compress -WarningAction SilentlyContinue)
        [PodeWebSocket.ContentWriter]::ToText($deep, 'application/json', 0) |
            Should -BeExactly (ConvertTo-Json -InputObject $deep -Compress -WarningAction SilentlyContinue)
        [PodeWebSocket.ContentWriter]::ToText(@(1, 'two'), 'text/json', 10) | Should -BeExactly '[1,"two"]'
        [PodeWebSocket.ContentWriter]::ToText($null, 'application/json', 10) | Should -BeExactly 'null'
    }

    It 'converts objects to XML, CSV and HTML as Pode does' {
        $rows = @([ordered]@{ name = 'alpha'; size = 1 }, [ordered]@{ name = 'beta'; size = 2 })
        $xml = [PodeWebSocket.ContentWriter]::ToText($rows, 'application/xml', 10)
        $xml | Should -BeExactly (@(foreach ($r in $rows) { [pscustomobject]$r }) | ConvertTo-Xml -Depth 10 -As String -NoTypeInformation)
        ([xml]$xml).Objects.Object.Count | Should -Be 2

        $csv = [PodeWebSocket.ContentWriter]::ToText($rows, 'text/csv', 10)
        $csv | Should -BeExactly (@('"name","size"', '"alpha","1"', '"beta","2"') -join [Environment]::NewLine)

        $html = [PodeWebSocket.ContentWriter]::ToText([pscustomobject]@{ name = 'alpha' }, 'text/html', 10)
        $html | Should -Match '<td>alpha</td>'
    }

    It 'refuses to turn objects into YAML (no YAML writer) with a clear error' {
        { [PodeWebSocket.ContentWriter]::ToText(@{ a = 1 }, 'application/yaml', 10) } |
            Should -Throw -ExpectedMessage '*YAML*'
    }

    It 'uses the string form without a content type' {
        [PodeWebSocket.ContentWriter]::ToText(42, '', 10) | Should -BeExactly '42'
    }
}

Describe '$WsEvent' {
    It "has Pode's keys, case-insensitive" {
        $wsEvent = New-Event -Body '{"a":1}'
        @($wsEvent.Keys | Sort-Object) | Should -Be @('Data', 'Files', 'Lockable', 'Metadata', 'Request', 'Timestamp')
        $wsEvent.request.body | Should -BeExactly '{"a":1}'
        $wsEvent | Should -BeOfType [hashtable]
        $wsEvent.Files.Count | Should -Be 0
        $wsEvent.Metadata.Count | Should -Be 0
    }

    It 'parses Data on first read only, and every way of reading sees it' {
        $wsEvent = New-Event -Body '{"a":1}'
        $wsEvent.Data.a | Should -Be 1
        [object]::ReferenceEquals($wsEvent.Data, $wsEvent['data']) | Should -BeTrue
        $fromEnumeration = @($wsEvent.GetEnumerator() | Where-Object Key -eq 'Data')[0].Value
        $fromEnumeration.a | Should -Be 1
        (New-Event -Body '{"b":2}').Clone().Data.b | Should -Be 2
        ((New-Event -Body '{"c":3}') | ConvertTo-Json -Depth 3 -Compress -WarningAction SilentlyContinue) | Should -Match '"Data":\{"c":3\}'
    }

    It 'lets a handler replace Data' {
        $wsEvent = New-Event -Body '{"a":1}'
        $wsEvent.Data = 'mine'
        $wsEvent.Data | Should -Be 'mine'
    }

    It 'gives $null Data and the reason when the body does not parse' {
        $wsEvent = New-Event -Body 'not json'
        $wsEvent.Data | Should -BeNullOrEmpty
        $wsEvent.Request.DataError | Should -Match 'could not be parsed as application/json'
        $wsEvent.Request.Body | Should -BeExactly 'not json'
    }

    It 'describes the request like Pode (Body, RawBody, ContentLength, Type)' {
        $connection = [PodeWebSocket.WsConnection]::new('unit', 'ws://unit', 'text/plain')
        $bytes = [byte[]](0xE2, 0x82, 0xAC)
        $request = [PodeWebSocket.WsRequest]::new($connection, $bytes, $true)
        $request.Body | Should -BeExactly ([string][char]0x20AC)
        $request.ContentLength | Should -Be 3
        $request.Type | Should -Be 'Binary'
        $request.WebSocket.Name | Should -Be 'unit'
        $request.WebSocket.IsConnected | Should -BeFalse
    }
}
