// Every P/Invoke of the glue: the functions of include/pode_ws.h, as they are, and the
// SafeHandles of what the library allocates for us (freed once, by the library's own free
// function, never while a call on another thread still uses it: a poller closed from one thread
// while another polls it is freed when that poll returns). The only file with DllImport; only the
// interop layer (Native, LastError, NativeLibraryLoader) uses it.
using System;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PodeWebSocket
{
    internal static unsafe class NativeMethods
    {
        /// <summary>The name NativeLibraryLoader resolves to the file under the module's lib/.</summary>
        public const string Library = "pode_ws";

        [DllImport(Library)] public static extern PodeWsResult pode_ws_version(byte* buf, UIntPtr bufLen, UIntPtr* outLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_last_error(byte* buf, UIntPtr bufLen, UIntPtr* outLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_connect(byte* name, UIntPtr nameLen, byte* url, UIntPtr urlLen, byte* options, UIntPtr optionsLen, ulong* outId);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_send(byte* name, UIntPtr nameLen, SendKind kind, byte* data, UIntPtr dataLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_disconnect(byte* name, UIntPtr nameLen, uint code, byte* reason, UIntPtr reasonLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_reset(byte* name, UIntPtr nameLen, byte* url, UIntPtr urlLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_remove(byte* name, UIntPtr nameLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_state(byte* name, UIntPtr nameLen, uint* outState);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_info(byte* name, UIntPtr nameLen, out BufferHandle outBuffer);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_list(out BufferHandle outBuffer);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_history(byte* name, UIntPtr nameLen, out BufferHandle outBuffer);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_reconnect_target(byte* name, UIntPtr nameLen, uint attempt, byte* url, UIntPtr urlLen, byte* headersJson, UIntPtr headersLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_reconnect_fail(byte* name, UIntPtr nameLen, uint attempt, byte* message, UIntPtr messageLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_trace_read(byte* traceId, UIntPtr traceIdLen, ulong sinceSeq, out BufferHandle outBuffer);
        [DllImport(Library)] public static extern void pode_ws_buffer_free(IntPtr buffer);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_poller_new(out PollerHandle outPoller);
        [DllImport(Library)] public static extern void pode_ws_poller_free(IntPtr poller);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_poll(PollerHandle poller, uint timeoutMs, uint maxEvents, NativeEvent** outEvents, UIntPtr* outLen);
        [DllImport(Library)] public static extern PodeWsResult pode_ws_poll_connection(PollerHandle poller, byte* name, UIntPtr nameLen, uint timeoutMs, uint maxEvents, NativeEvent** outEvents, UIntPtr* outLen);
        [DllImport(Library)] public static extern void pode_ws_poller_release(PollerHandle poller);
        [DllImport(Library)] public static extern void pode_ws_poller_wake(PollerHandle poller);
        [DllImport(Library)] public static extern void pode_ws_poller_close(PollerHandle poller);
        [DllImport(Library)] public static extern void pode_ws_wake_all();
        [DllImport(Library)] public static extern PodeWsResult pode_ws_shutdown();
        [DllImport(Library)] public static extern PodeWsResult pode_ws_set_payload_allocator(delegate* unmanaged<UIntPtr, UIntPtr*, byte*> allocate, delegate* unmanaged<UIntPtr, void> free, UIntPtr minLen);
    }

    /// <summary>A PodeWsPoller (pode_ws_poller_new / pode_ws_poller_free).</summary>
    internal sealed class PollerHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public PollerHandle() : base(true) { }

        protected override bool ReleaseHandle()
        {
            NativeMethods.pode_ws_poller_free(handle);
            return true;
        }
    }

    /// <summary>A PodeWsBuffer (pode_ws_info, _list, _history, _trace_read / pode_ws_buffer_free).</summary>
    internal sealed class BufferHandle : SafeHandleZeroOrMinusOneIsInvalid
    {
        public BufferHandle() : base(true) { }

        /// <summary>The buffer's bytes as UTF-8 text ("null" for no buffer).</summary>
        public unsafe string ReadUtf8()
        {
            if (IsInvalid) return "null";
            var buffer = (NativeBuffer*)handle;
            return Utf8.Decode(buffer->Data, buffer->Len);
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.pode_ws_buffer_free(handle);
            return true;
        }
    }
}
