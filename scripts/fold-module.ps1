# Folds a packaged module's Private/*.ps1 and Public/*.ps1 into its PodeWebSocket.psm1 and removes
# the two folders (scripts/package.sh runs it on dist/, never on powershell/PodeWebSocket).
# Dot-sourcing 16 files cost a fresh pwsh 10-33 ms of Import-Module (bench/ANALYSIS.md, sixth
# pass); the sources stay one file per command in the repository.
# Each loop of the psm1 that dot-sources a folder is replaced by that folder's files, in the order
# the loop would load them, each after a comment naming it (errors then point into the psm1).
# Fails when the psm1 does not have exactly those two loops, or when the folded psm1 does not parse
# or lacks a function one of the files defines.
param(
    [Parameter(Mandatory = $true)] [string] $ModuleDir
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# It deletes Private/ and Public/: never the repository's own module folder.
$sourceModule = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../powershell/PodeWebSocket'))
if ([System.IO.Path]::GetFullPath($ModuleDir).TrimEnd([char[]]'/\') -eq $sourceModule) {
    throw "fold-module: $ModuleDir is the repository's module folder; fold a copy (scripts/package.sh does)"
}
$psm1 = Join-Path $ModuleDir 'PodeWebSocket.psm1'
$text = [System.IO.File]::ReadAllText($psm1).Replace("`r`n", "`n")

# The functions a script defines at its top level.
function Get-TopLevelFunctions([System.Management.Automation.Language.ScriptBlockAst]$Ast) {
    return @($Ast.EndBlock.Statements | Where-Object { $_ -is [System.Management.Automation.Language.FunctionDefinitionAst] } | ForEach-Object Name)
}

$expected = [System.Collections.Generic.List[string]]::new()
foreach ($folder in @('Private', 'Public')) {
    $loop = "foreach (`$file in [System.IO.Directory]::GetFiles([System.IO.Path]::Combine(`$PSScriptRoot, '$folder'), '*.ps1')) {`n    . `$file`n}`n"
    $at = $text.IndexOf($loop, [System.StringComparison]::Ordinal)
    if ($at -lt 0 -or $text.IndexOf($loop, $at + 1, [System.StringComparison]::Ordinal) -ge 0) {
        throw "fold-module: expected one loop dot-sourcing $folder/*.ps1 in $psm1"
    }
    $folded = [System.Text.StringBuilder]::new()
    # the loop's order (GetFiles's), though the files only define functions
    foreach ($file in [System.IO.Directory]::GetFiles((Join-Path $ModuleDir $folder), '*.ps1')) {
        $source = [System.IO.File]::ReadAllText($file).Replace("`r`n", "`n").TrimEnd() + "`n"
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($source, [ref]$tokens, [ref]$errors)
        if ($errors.Count -gt 0) { throw "fold-module: $folder/$([System.IO.Path]::GetFileName($file)) does not parse: $($errors[0].Message)" }
        foreach ($name in Get-TopLevelFunctions $ast) { $expected.Add($name) }
        # the blank line keeps this comment apart from the command's help comment below it
        $null = $folded.Append("# ---- $folder/$([System.IO.Path]::GetFileName($file)) ----`n`n").Append($source).Append("`n")
    }
    $text = $text.Substring(0, $at) + $folded.ToString() + $text.Substring($at + $loop.Length)
    Remove-Item -LiteralPath (Join-Path $ModuleDir $folder) -Recurse -Force
}

$tokens = $null
$errors = $null
$ast = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$tokens, [ref]$errors)
if ($errors.Count -gt 0) { throw "fold-module: the folded psm1 does not parse: $($errors[0].Message) (line $($errors[0].Extent.StartLineNumber))" }
$defined = Get-TopLevelFunctions $ast
$missing = @($expected | Where-Object { $defined -notcontains $_ })
if ($missing.Count -gt 0) { throw "fold-module: the folded psm1 lacks $($missing -join ', ')" }
[System.IO.File]::WriteAllText($psm1, $text, [System.Text.UTF8Encoding]::new($false))
Write-Host "fold-module: $($expected.Count) functions of Private/ and Public/ folded into PodeWebSocket.psm1"
