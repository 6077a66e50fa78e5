// The benchmark's measuring point inside a handler, shared by every PowerShell peer (ours, the
// Pode-like peer P and the floor F). A static class is visible from every runspace of the
// process, so a handler running on any dispatcher thread reports to the same counters.
// Every handler makes exactly one call here per message, so its cost is the same for all peers.
using System.Threading;

public static class BenchProbe
{
    private static long _count;
    private static long _target = long.MaxValue;
    private static long _bytes;
    private static readonly ManualResetEventSlim _done = new ManualResetEventSlim(false);

    /// The last text a handler reported (outbound: the sink's "__count__" reply).
    public static string LastText;

    /// Resets the counters; Wait returns once Hit/Add has been called `target` times.
    public static void Arm(long target)
    {
        _done.Reset();
        Interlocked.Exchange(ref _bytes, 0);
        Interlocked.Exchange(ref _target, target);
        Interlocked.Exchange(ref _count, 0);
    }

    public static void Hit()
    {
        if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target)) _done.Set();
    }

    /// Counts a message and adds its length (large messages).
    public static void Add(long length)
    {
        Interlocked.Add(ref _bytes, length);
        Hit();
    }

    /// Counts a message and keeps its text (the sink's count reply).
    public static void Text(string text)
    {
        LastText = text;
        Hit();
    }

    public static bool Wait(int timeoutMs) { return _done.Wait(timeoutMs); }

    public static long Count { get { return Interlocked.Read(ref _count); } }
    public static long Bytes { get { return Interlocked.Read(ref _bytes); } }
}
