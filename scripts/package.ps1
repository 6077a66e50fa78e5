# The PowerShell half of scripts/package.sh (run it instead): checks the versions, writes the
# package's Tags from the platforms it holds, and publishes the .nupkg to a local file repository.
#   -ModuleDir   dist/PodeWebSocket/<version>, already assembled by package.sh
#   -Version     Cargo.toml's version
#   -Repository  the folder the .nupkg is written to
#   -Platforms   the lib/<rid>/ folders that hold a library, separated by spaces
param(
    [Parameter(Mandatory = $true)] [string] $ModuleDir,
    [Parameter(Mandatory = $true)] [string] $Version,
    [Parameter(Mandatory = $true)] [string] $Repository,
    [Parameter(Mandatory = $true)] [string] $Platforms
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$manifestPath = Join-Path $ModuleDir 'PodeWebSocket.psd1'
$manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
if ($manifest.ModuleVersion -ne $Version) {
    throw "package: the manifest's ModuleVersion is $($manifest.ModuleVersion) but Cargo.toml's version is $Version; make them the same (and the README's)"
}
if ($manifest.ContainsKey('FileList')) {
    throw 'package: the manifest has a FileList; leave it out (the package holds the whole module folder)'
}

# Tags: the manifest's own (which name no platform) plus the platforms of the lib/<rid>/ folders.
$platformTags = [ordered]@{ linux = 'Linux'; osx = 'MacOS'; win = 'Windows' }
$rids = @($Platforms -split '\s+' | Where-Object { $_ })
$platformNames = @($rids | ForEach-Object {
        $os = $_.Split('-')[0]
        if (-not $platformTags.Contains($os)) {
            throw "package: lib/$_/ is not a platform the module loads (linux-*, osx-*, win-*)"
        }
        $platformTags[$os]
    } | Sort-Object -Unique)
$baseTags = @($manifest.PrivateData.PSData.Tags | Where-Object { $platformTags.Values -notcontains $_ })
$tags = @($baseTags) + @($platformNames)
$text = Get-Content -Raw -LiteralPath $manifestPath
$pattern = '(?m)^(\s*Tags\s*=\s*)@\([^)]*\)'
if ([regex]::Matches($text, $pattern).Count -ne 1) {
    throw "package: expected one 'Tags = @(...)' line in $manifestPath"
}
$list = ($tags | ForEach-Object { "'$_'" }) -join ', '
$text = [regex]::Replace($text, $pattern, { param($m) $m.Groups[1].Value + "@($list)" })
[System.IO.File]::WriteAllText($manifestPath, $text, [System.Text.UTF8Encoding]::new($false))
$written = (Import-PowerShellDataFile -LiteralPath $manifestPath).PrivateData.PSData.Tags
if (($written -join ',') -ne ($tags -join ',')) {
    throw "package: the Tags written are '$($written -join ', ')', expected '$($tags -join ', ')'"
}
$null = Test-ModuleManifest -Path $manifestPath

# The library of this machine, when the package holds it, must say the same version.
$os = $(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' })
$arch = $(switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) { 'X64' { 'x64' } 'Arm64' { 'arm64' } default { 'other' } })
if ($rids -contains "$os-$arch") {
    # a new process, the way a user imports it (when pwsh is a .NET tool this one is "dotnet")
    $pwsh = @((Join-Path $PSHOME 'pwsh'), (Join-Path $PSHOME 'pwsh.exe')) | Where-Object { Test-Path -LiteralPath $_ -PathType Leaf } | Select-Object -First 1
    if (-not $pwsh) { $pwsh = (Get-Command -Name pwsh -CommandType Application | Select-Object -First 1).Source }
    $check = & $pwsh -NoProfile -NonInteractive -Command "
        Import-Module '$manifestPath' -ErrorAction Stop
        [PodeWebSocket.Client]::Version()
    "
    if ($LASTEXITCODE -ne 0 -or $check -ne $Version) {
        throw "package: the packaged library says version '$check', expected $Version (rebuild: scripts/build.sh)"
    }
    Write-Host "package: lib/$os-$arch says pode_ws_version $check"
}
else {
    Write-Host "package: no lib/$os-$arch in the package: its libraries' versions were not checked here"
}

# Publish through a repository registered for this run only.
$name = "PodeWebSocketPackage$PID"
Register-PSResourceRepository -Name $name -Uri $Repository -Trusted
try {
    # no dependencies to check (and no Gallery to check them against offline)
    Publish-PSResource -Path $ModuleDir -Repository $name -SkipDependenciesCheck
}
finally {
    Unregister-PSResourceRepository -Name $name
}
$nupkg = Join-Path $Repository "PodeWebSocket.$Version.nupkg"
if (-not (Test-Path -LiteralPath $nupkg -PathType Leaf)) {
    throw "package: Publish-PSResource wrote no $nupkg"
}
Write-Host "package: PodeWebSocket $Version for $($rids -join ', '); tags $($tags -join ', ')"
