# The C# copy of the C ABI (powershell/PodeWebSocket.Native/Abi/Abi.cs and Interop/NativeMethods.cs)
# against include/pode_ws.h: a C program generated from the header and compiled against it prints
# every constant, and the size and field offsets of every struct as the C compiler lays them out;
# the glue's values, Marshal.SizeOf and Marshal.OffsetOf must be the same, and every P/Invoke must
# match a prototype of the header. A constant or struct added to the header fails here until the
# C# copy (and, for a new enum, the name map below) has it.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:Glue = [PodeWebSocket.NativeLibraryLoader].Assembly
    $script:HeaderText = Get-Content -Raw -LiteralPath (Join-Path $script:RepoRoot 'include/pode_ws.h')

    # header constant prefix -> the C# type holding those constants (longest prefix first)
    $script:ConstantTypes = [ordered]@{
        'PODE_WS_RESULT_'     = 'PodeWebSocket.PodeWsResult'
        'PODE_WS_EVENT_KIND_' = 'PodeWebSocket.EventKind'
        'PODE_WS_CLOSER_'     = 'PodeWebSocket.Closer'
        'PODE_WS_STATE_'      = 'PodeWebSocket.ConnectionState'
        'PODE_WS_SEND_'       = 'PodeWebSocket.SendKind'
        'PODE_WS_'            = 'PodeWebSocket.AbiConstants'
    }
    # C# members that stand for no header constant, and why
    $script:CSharpOnly = @{
        'PodeWebSocket.ConnectionState.Unknown' = 'pode_ws_state failed: no connection of that name'
    }
    $script:StructTypes = @{
        'PodeWsEvent'  = 'PodeWebSocket.NativeEvent'
        'PodeWsBuffer' = 'PodeWebSocket.NativeBuffer'
    }
    # a C parameter type (const and names removed) -> the C# parameter types that marshal it
    $script:ParameterTypes = @{
        'uint8_t*'       = @('System.Byte*')
        'size_t'         = @('System.UIntPtr')
        'size_t*'        = @('System.UIntPtr*')
        'uint32_t'       = @('System.UInt32')
        'uint64_t'       = @('System.UInt64')
        'uint32_t*'      = @('System.UInt32*')
        'uint64_t*'      = @('System.UInt64*')
        'PodeWsPoller*'  = @('PodeWebSocket.PollerHandle', 'System.IntPtr')
        'PodeWsPoller**' = @('PodeWebSocket.PollerHandle&')
        'PodeWsBuffer*'  = @('System.IntPtr')
        'PodeWsBuffer**' = @('PodeWebSocket.BufferHandle&')
        'PodeWsEvent**'  = @('PodeWebSocket.NativeEvent**')
    }
    $script:ReturnTypes = @{
        'PodeWsResult' = 'PodeWebSocket.PodeWsResult'
        'void'         = 'System.Void'
    }

    function ConvertTo-PascalCase([string]$SnakeCase) {
        return (($SnakeCase.ToLowerInvariant() -split '_') | ForEach-Object { $_.Substring(0, 1).ToUpperInvariant() + $_.Substring(1) }) -join ''
    }

    function Get-GlueType([string]$FullName) {
        return $script:Glue.GetType($FullName, $true)
    }

    # every constant of the header: enumerators and #defines with a value
    $script:Constants = @(
        [regex]::Matches($script:HeaderText, '(?m)^\s*(PODE_WS_[A-Z0-9_]+)\s*=\s*-?\d+\s*,') | ForEach-Object { $_.Groups[1].Value }
        [regex]::Matches($script:HeaderText, '(?m)^#define\s+(PODE_WS_[A-Z0-9_]+)[ \t]+\S') | ForEach-Object { $_.Groups[1].Value }
    )
    $script:Structs = [ordered]@{}
    foreach ($match in [regex]::Matches($script:HeaderText, 'typedef struct \{(?<body>[^}]*)\}\s*(?<name>\w+);')) {
        $body = [regex]::Replace($match.Groups['body'].Value, '//[^\n]*', '')
        $script:Structs[$match.Groups['name'].Value] = @([regex]::Matches($body, '(\w+)\s*;') | ForEach-Object { $_.Groups[1].Value })
    }

    # what the C compiler says: one line per constant, size and offset
    $work = Join-Path ([System.IO.Path]::GetTempPath()) "podews-abi-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $work
    $lines = [System.Collections.Generic.List[string]]::new()
    $lines.Add('#include <stdio.h>')
    $lines.Add('#include <stddef.h>')
    $lines.Add('#include "pode_ws.h"')
    $lines.Add('int main(void) {')
    foreach ($name in $script:Constants) {
        $lines.Add("    printf(""const $name %lld\n"", (long long)$name);")
    }
    foreach ($struct in $script:Structs.Keys) {
        $lines.Add("    printf(""size $struct %zu\n"", sizeof($struct));")
        foreach ($field in $script:Structs[$struct]) {
            $lines.Add("    printf(""offset $struct.$field %zu\n"", offsetof($struct, $field));")
        }
    }
    $lines.Add('    return 0;')
    $lines.Add('}')
    $source = Join-Path $work 'abi.c'
    $program = Join-Path $work 'abi'
    Set-Content -LiteralPath $source -Value $lines
    $output = & cc -std=c11 -Wall -Werror -I (Join-Path $script:RepoRoot 'include') -o $program $source 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "the ABI probe did not compile against include/pode_ws.h: $output"
    }
    $script:FromC = @{}
    foreach ($line in @(& $program)) {
        $kind, $key, $value = $line -split ' '
        $script:FromC["$kind $key"] = [long]$value
    }
    Remove-Item -LiteralPath $work -Recurse -Force
}

Describe 'The C# copy of include/pode_ws.h' {
    It 'finds the constants and structs of the header' {
        $script:Constants | Should -Contain 'PODE_WS_RESULT_TLS_UNTRUSTED'
        $script:Constants | Should -Contain 'PODE_WS_INFINITE'
        $script:Structs.Keys | Should -Contain 'PodeWsEvent'
        $script:FromC.Count | Should -BeGreaterThan $script:Constants.Count
    }

    It 'has every constant of the header, with the value the C compiler gives it' {
        $problems = foreach ($name in $script:Constants) {
            $prefix = @($script:ConstantTypes.Keys | Where-Object { $name.StartsWith($_) })[0]
            $type = Get-GlueType $script:ConstantTypes[$prefix]
            $member = ConvertTo-PascalCase $name.Substring($prefix.Length)
            $field = $type.GetField($member, [System.Reflection.BindingFlags]'Public,NonPublic,Static')
            if ($null -eq $field) {
                "$name has no $($type.FullName).$member"
                continue
            }
            $value = [System.Convert]::ToInt64($field.GetValue($null))
            if ($value -ne $script:FromC["const $name"]) {
                "$name is $($script:FromC["const $name"]) in C, $value in $($type.FullName).$member"
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'has no constant the header lacks' {
        $problems = foreach ($prefix in $script:ConstantTypes.Keys) {
            $type = Get-GlueType $script:ConstantTypes[$prefix]
            $fields = $type.GetFields([System.Reflection.BindingFlags]'Public,NonPublic,Static') | Where-Object { $_.IsLiteral }
            foreach ($field in $fields) {
                $qualified = "$($type.FullName).$($field.Name)"
                if ($script:CSharpOnly.ContainsKey($qualified)) {
                    continue
                }
                $inHeader = $script:Constants | Where-Object { $_.StartsWith($prefix) -and ((ConvertTo-PascalCase $_.Substring($prefix.Length)) -eq $field.Name) }
                if (-not $inHeader) {
                    "$qualified is not in the header"
                }
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'lays out every struct as the C compiler does (size and offset of every field)' {
        $problems = foreach ($struct in $script:Structs.Keys) {
            if (-not $script:StructTypes.ContainsKey($struct)) {
                "the header's struct $struct has no C# copy (add it to Abi.cs and to the map of this test)"
                continue
            }
            $type = Get-GlueType $script:StructTypes[$struct]
            $size = [System.Runtime.InteropServices.Marshal]::SizeOf([type]$type)
            if ($size -ne $script:FromC["size $struct"]) {
                "sizeof($struct) is $($script:FromC["size $struct"]), Marshal.SizeOf($($type.Name)) $size"
            }
            $instanceFields = $type.GetFields([System.Reflection.BindingFlags]'Public,NonPublic,Instance')
            if ($instanceFields.Count -ne $script:Structs[$struct].Count) {
                "$struct has $($script:Structs[$struct].Count) fields, $($type.Name) $($instanceFields.Count)"
            }
            foreach ($field in $script:Structs[$struct]) {
                $member = ConvertTo-PascalCase $field
                if ($null -eq $type.GetField($member, [System.Reflection.BindingFlags]'Public,NonPublic,Instance')) {
                    "$struct.$field has no $($type.Name).$member"
                    continue
                }
                $offset = [System.Runtime.InteropServices.Marshal]::OffsetOf([type]$type, $member).ToInt64()
                if ($offset -ne $script:FromC["offset $struct.$field"]) {
                    "offsetof($struct, $field) is $($script:FromC["offset $struct.$field"]), Marshal.OffsetOf $offset"
                }
            }
        }
        $problems | Should -BeNullOrEmpty
    }

    It 'declares every P/Invoke in NativeMethods, as a prototype of the header declares it' {
        $prototypes = @{}
        foreach ($match in [regex]::Matches($script:HeaderText, '(?s)(\w+)\s+(pode_ws_\w+)\(([^)]*)\);')) {
            $parameters = @(($match.Groups[3].Value -split ',') | ForEach-Object {
                    $p = ($_ -replace '\bconst\b', '').Trim()
                    if ($p -eq 'void') { return }
                    # drop the parameter's name, keep the type with its stars
                    (($p -replace '\w+$', '') -replace '\s', '')
                })
            $prototypes[$match.Groups[2].Value] = @{ Return = $match.Groups[1].Value; Parameters = $parameters }
        }
        $prototypes.Count | Should -BeGreaterThan 10

        $flags = [System.Reflection.BindingFlags]'Public,NonPublic,Static'
        $pinvokes = @($script:Glue.GetTypes() | ForEach-Object { $_.GetMethods($flags) } |
                Where-Object { $_.Attributes -band [System.Reflection.MethodAttributes]::PinvokeImpl })
        $pinvokes.Count | Should -BeGreaterThan 10
        @($pinvokes.DeclaringType.FullName | Select-Object -Unique) | Should -Be @('PodeWebSocket.NativeMethods')

        $problems = foreach ($method in $pinvokes) {
            $prototype = $prototypes[$method.Name]
            if ($null -eq $prototype) {
                "$($method.Name) is not in the header"
                continue
            }
            if ($script:ReturnTypes[$prototype.Return] -ne $method.ReturnType.FullName) {
                "$($method.Name) returns $($prototype.Return) in C, $($method.ReturnType.FullName) in C#"
            }
            $parameters = $method.GetParameters()
            if ($parameters.Count -ne $prototype.Parameters.Count) {
                "$($method.Name) has $($prototype.Parameters.Count) parameters in C, $($parameters.Count) in C#"
                continue
            }
            for ($i = 0; $i -lt $parameters.Count; $i++) {
                $cType = $prototype.Parameters[$i]
                $csType = $parameters[$i].ParameterType
                if ($csType.IsEnum) {
                    $csType = [System.Enum]::GetUnderlyingType($csType)
                }
                if ($csType.IsFunctionPointer) {
                    # a callback: the header's typedef and the C# function pointer, type by type
                    $typedef = [regex]::Match($script:HeaderText, "typedef\s+(\w+\s*\**)\s*\(\*$cType\)\(([^)]*)\);")
                    if (-not $typedef.Success) {
                        "$($method.Name) parameter $($i + 1): no typedef of the callback type $cType in the header"
                        continue
                    }
                    # the return type as it is, each parameter without its name
                    $cTypes = @(($typedef.Groups[1].Value -replace '\s', '')) + @($typedef.Groups[2].Value -split ',' | ForEach-Object {
                            (($_ -replace '\bconst\b', '').Trim() -replace '\w+$', '') -replace '\s', ''
                        })
                    $cSignature = @($cTypes | ForEach-Object {
                            if ($_ -eq 'void') { 'System.Void' } elseif ($script:ParameterTypes.ContainsKey($_)) { $script:ParameterTypes[$_][0] } else { "?$_" }
                        })
                    $csSignature = @(@($csType.GetFunctionPointerReturnType()) + @($csType.GetFunctionPointerParameterTypes()) | ForEach-Object { $_.FullName })
                    if (-not $csType.IsUnmanagedFunctionPointer -or ($cSignature -join ',') -ne ($csSignature -join ',')) {
                        "$($method.Name) parameter $($i + 1): $cType is ($($cSignature -join ', ')) in C, ($($csSignature -join ', ')) in C#"
                    }
                    continue
                }
                if (-not $script:ParameterTypes.ContainsKey($cType)) {
                    "$($method.Name): the C type $cType is not in the map of this test"
                }
                elseif ($script:ParameterTypes[$cType] -notcontains $csType.FullName) {
                    "$($method.Name) parameter $($i + 1): $cType in C, $($csType.FullName) in C#"
                }
            }
        }
        $problems | Should -BeNullOrEmpty
    }
}
