# Diagnostic: what a new 16 MiB array costs in page faults when the previous ones were freed by a
# blocking gen-2 collection (as Dispatch/LargeMessageGarbage.cs starts one), on the large object
# heap and on the pinned object heap. No network, no module.
#   pwsh -NoProfile -File bench/diag/ArrayReuse.ps1
#   DOTNET_GCRetainVM=1 pwsh -NoProfile -File bench/diag/ArrayReuse.ps1   # .NET keeps freed memory
Add-Type -TypeDefinition @'
using System;
public static class ArrayReuseProbe {
    static long MinorFaults() { return long.Parse(System.IO.File.ReadAllText("/proc/self/stat").Split(' ')[9]); }

    // 64 arrays of 16 MiB, each written once (as the socket read writes a message), a collection
    // after every second one; keepLast: the newest still referenced then (as the one a handler
    // is handling or the core is reading into).
    public static string Run(bool pinnedHeap, bool keepLast) {
        byte[] last = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long before = MinorFaults();
        for (int i = 0; i < 64; i++) {
            var a = GC.AllocateUninitializedArray<byte>(16 << 20, pinnedHeap);
            a.AsSpan().Fill(1);
            if (keepLast) last = a;
            if (i % 2 == 1) GC.Collect(2, GCCollectionMode.Forced, true, false);
        }
        GC.KeepAlive(last);
        return string.Format("{0}, {1}: {2} ms, {3} page faults per array", pinnedHeap ? "pinned object heap" : "large object heap",
            keepLast ? "newest kept" : "none kept", clock.ElapsedMilliseconds, (MinorFaults() - before) / 64);
    }
}
'@
$null = [ArrayReuseProbe]::Run($false, $false)   # warm-up: JIT, the GC's first regions
foreach ($pinned in $false, $true) {
    foreach ($keep in $false, $true) { [ArrayReuseProbe]::Run($pinned, $keep) }
}
