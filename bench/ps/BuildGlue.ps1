# Compiles the benchmark's C# helpers once per run into -OutDir, so each worker process loads a
# ready assembly (Add-Type -Path) instead of paying a Roslyn compile at start-up.
# -optimize+ matters: Add-Type otherwise emits a Debug assembly (DebuggableAttribute with
# DisableOptimizations), whose methods the JIT never optimizes. Pode ships a Release build, so
# peer P gets optimized code too.
param([Parameter(Mandatory = $true)] [string] $OutDir)
$ErrorActionPreference = 'Stop'
$null = New-Item -ItemType Directory -Force -Path $OutDir
foreach ($name in 'BenchProbe', 'PodeLike') {
    $dll = Join-Path $OutDir "$name.dll"
    Remove-Item -Force -ErrorAction SilentlyContinue $dll
    Add-Type -Path (Join-Path $PSScriptRoot "$name.cs") -OutputAssembly $dll -OutputType Library -CompilerOptions '-optimize+'
}
Write-Output "glue built in $OutDir"
