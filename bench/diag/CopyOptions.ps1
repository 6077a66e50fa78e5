# Diagnostic: what the module's managed copy of a message costs, and what the alternatives would
# cost, measured on the same native memory (no network): for bench/ANALYSIS.md ("the .NET side").
#   pwsh -File bench/diag/CopyOptions.ps1 [-LargeCount 64] [-SmallCount 1000000]
# Large (16 MiB, the large scenario): a new uninitialized byte[] per message + memcpy (today's
# Utf8.Copy), the same with a blocking gen-2 collection every message or every 4, a reused array
# (what a pool would give), and no copy at all (what a RawBody copied only on first read gives a
# handler that reads ContentLength). Small (32 B, the firehose): today's copy then UTF-8 decode
# of Body, against decoding Body straight from native memory. Prints GB/s or ns per message,
# managed bytes allocated per message, collections, and peak RSS over the start.
param([int] $LargeCount = 64, [int] $SmallCount = 1000000, [long] $LargeSize = 16MB)
$ErrorActionPreference = 'Stop'
Add-Type -CompilerOptions '-optimize+', '-unsafe' -TypeDefinition @'
using System;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

public static unsafe class CopyOptions
{
    public static IntPtr Native(long size, byte fill)
    {
        var p = Marshal.AllocHGlobal((IntPtr)size);
        new Span<byte>((void*)p, (int)size).Fill(fill);
        return p;
    }

    static byte[] Copy(IntPtr data, int n)
    {
        var bytes = GC.AllocateUninitializedArray<byte>(n);
        fixed (byte* dst = bytes) Buffer.MemoryCopy((void*)data, dst, n, n);
        return bytes;
    }

    // Large: returns seconds; `mode`: fresh, gc1, gc4, reuse, none.
    public static double Large(IntPtr data, int n, int count, string mode, out long sum)
    {
        sum = 0;
        byte[] reused = mode == "reuse" ? new byte[n] : null;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            byte[] b;
            switch (mode)
            {
                case "none": sum += n; continue;
                case "reuse":
                    fixed (byte* dst = reused) Buffer.MemoryCopy((void*)data, dst, n, n);
                    b = reused;
                    break;
                default: b = Copy(data, n); break;
            }
            sum += b.Length + b[i % n];
            if (mode == "gc1" || (mode == "gc4" && i % 4 == 3)) GC.Collect(2, GCCollectionMode.Forced, true);
        }
        return sw.Elapsed.TotalSeconds;
    }

    // Small: returns ns per message; `direct`: decode Body from native memory, no byte[].
    public static double Small(IntPtr data, int n, int count, bool direct, out long sum)
    {
        sum = 0;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            string body = direct ? Encoding.UTF8.GetString((byte*)data, n) : Encoding.UTF8.GetString(Copy(data, n));
            sum += body.Length;
        }
        return sw.Elapsed.TotalMilliseconds * 1e6 / count;
    }
}
'@
function Get-Kib([string] $Key) {
    foreach ($line in [System.IO.File]::ReadAllLines('/proc/self/status')) { if ($line.StartsWith($Key)) { return [long]($line -split '\s+')[1] } }
}
$big = [CopyOptions]::Native($LargeSize, 7)
$null = [CopyOptions]::Large($big, [int]$LargeSize, 2, 'fresh', [ref]0)   # JIT, first faults
foreach ($mode in 'fresh', 'gc4', 'gc1', 'reuse', 'none') {
    [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
    [System.IO.File]::WriteAllText('/proc/self/clear_refs', '5')
    $rss0 = Get-Kib 'VmRSS:'; $alloc0 = [GC]::GetTotalAllocatedBytes($true); $gc0 = [GC]::CollectionCount(2)
    $sum = 0L
    $secs = [CopyOptions]::Large($big, [int]$LargeSize, $LargeCount, $mode, [ref]$sum)
    $peak = (Get-Kib 'VmHWM:') - $rss0
    "large {0,-5}: {1,6:N2} GB/s, {2,6:N1} MiB allocated per message, {3,3} gen-2 collections, peak RSS +{4:N0} MiB" -f $mode,
        ($LargeSize * $LargeCount / $secs / 1e9), (([GC]::GetTotalAllocatedBytes($true) - $alloc0) / $LargeCount / 1MB),
        ([GC]::CollectionCount(2) - $gc0), ($peak / 1024)
}
$small = [CopyOptions]::Native(32, 0x61)
foreach ($direct in $false, $true) {
    $null = [CopyOptions]::Small($small, 32, 100000, $direct, [ref]0)
    $alloc0 = [GC]::GetTotalAllocatedBytes($true); $gc0 = [GC]::CollectionCount(0)
    $sum = 0L
    $ns = [CopyOptions]::Small($small, 32, $SmallCount, $direct, [ref]$sum)
    "small {0,-6}: {1,6:N1} ns per message, {2,4:N0} bytes allocated per message, {3} gen-0 collections" -f $(if ($direct) { 'direct' } else { 'copy' }),
        $ns, (([GC]::GetTotalAllocatedBytes($true) - $alloc0) / $SmallCount), ([GC]::CollectionCount(0) - $gc0)
}
[Environment]::Exit(0)
