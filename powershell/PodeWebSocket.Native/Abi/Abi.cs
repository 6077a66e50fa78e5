// The C# copy of include/pode_ws.h: result codes, event kinds, closers, states, send kinds and
// the layout of every struct. Data only. tests/pester/Unit/Abi.Tests.ps1 compiles a C program
// against the header and fails when a value, a size or an offset here differs from it (or when
// the header has a constant or struct this file lacks): change both together.
using System;
using System.Runtime.InteropServices;

namespace PodeWebSocket
{
    /// <summary>PodeWsResult: what every fallible function returns (0 = OK).</summary>
    public enum PodeWsResult
    {
        Ok = 0, InvalidArgument = 1, NullPointer = 2, InvalidUtf8 = 3, InvalidOptions = 4, InvalidUrl = 5,
        NameInUse = 6, UnknownName = 7, NotOpen = 8, Timeout = 9, Cancelled = 10, MessageTooLarge = 11,
        Closed = 12, BufferTooSmall = 13, Dns = 14, ConnectionRefused = 15, Tls = 16, HandshakeRejected = 17,
        Proxy = 18, Network = 19, Protocol = 20, Panic = 21, Internal = 22,
        TlsUntrusted = 23, Redirect = 24, ReconnectGaveUp = 25, ReconnectHandlerFailed = 26,
    }

    /// <summary>PodeWsEventKind: what a polled event is.</summary>
    internal enum EventKind : uint
    {
        Text = 1, Binary = 2, Opened = 3, Closed = 4, Error = 5, Reconnecting = 6,
    }

    /// <summary>PodeWsCloser: who closed a connection (Closed events).</summary>
    internal enum Closer : uint
    {
        None = 0, Local = 1, Remote = 2, Lost = 3,
    }

    /// <summary>PodeWsState, plus Unknown (0): the native core knows no connection of that name.</summary>
    public enum ConnectionState
    {
        Unknown = 0, Connecting = 1, Open = 2, Reconnecting = 3, Closed = 4,
    }

    /// <summary>PODE_WS_SEND_TEXT and PODE_WS_SEND_BINARY: the kind argument of pode_ws_send.</summary>
    internal enum SendKind : uint
    {
        Text = 1, Binary = 2,
    }

    /// <summary>The other #define constants of the header.</summary>
    internal static class AbiConstants
    {
        /// <summary>PODE_WS_INFINITE: a timeout that never expires.</summary>
        public const uint Infinite = uint.MaxValue;
    }

    /// <summary>PodeWsEvent: one event of a poll batch (owned by the poller until its next poll).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeEvent
    {
        public ulong ConnectionId;
        public IntPtr Name;
        public UIntPtr NameLen;
        public IntPtr Data;
        public UIntPtr DataLen;
        public IntPtr Extra;
        public UIntPtr ExtraLen;
        public long TimestampMs;
        public ulong DelayMs;
        public EventKind Kind;
        public uint Code;
        public Closer ClosedBy;
        public uint Attempt;
        public UIntPtr DataOwner;

        public bool IsMessage { get { return Kind == EventKind.Text || Kind == EventKind.Binary; } }
    }

    /// <summary>PodeWsBuffer: bytes the library allocated (freed with pode_ws_buffer_free).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeBuffer
    {
        public IntPtr Data;
        public UIntPtr Len;
    }
}
