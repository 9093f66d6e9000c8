using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Preconfig.Handoff.MessagePack;

/// <summary>
/// Writes MessagePack (https://github.com/msgpack/msgpack/blob/master/spec.md) into an <see cref="IBufferWriter{T}"/>,
/// always choosing the shortest encoding, as the spec asks of serializers. Only the types the handoff body needs.
/// </summary>
public ref struct MessagePackWriter(IBufferWriter<byte> output)
{
    private readonly IBufferWriter<byte> _output = output;

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void Write(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    public void Write(long value)
    {
        if (value >= 0) { Write((ulong)value); return; }
        if (value >= -32) WriteByte((byte)(sbyte)value);
        else if (value >= sbyte.MinValue) { var s = Take(2); s[0] = MessagePackCode.Int8; s[1] = (byte)(sbyte)value; Done(2); }
        else if (value >= short.MinValue) { var s = Take(3); s[0] = MessagePackCode.Int16; BinaryPrimitives.WriteInt16BigEndian(s[1..], (short)value); Done(3); }
        else if (value >= int.MinValue) { var s = Take(5); s[0] = MessagePackCode.Int32; BinaryPrimitives.WriteInt32BigEndian(s[1..], (int)value); Done(5); }
        else { var s = Take(9); s[0] = MessagePackCode.Int64; BinaryPrimitives.WriteInt64BigEndian(s[1..], value); Done(9); }
    }

    public void Write(ulong value)
    {
        if (value <= 0x7f) WriteByte((byte)value);
        else if (value <= byte.MaxValue) { var s = Take(2); s[0] = MessagePackCode.UInt8; s[1] = (byte)value; Done(2); }
        else if (value <= ushort.MaxValue) { var s = Take(3); s[0] = MessagePackCode.UInt16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)value); Done(3); }
        else if (value <= uint.MaxValue) { var s = Take(5); s[0] = MessagePackCode.UInt32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)value); Done(5); }
        else { var s = Take(9); s[0] = MessagePackCode.UInt64; BinaryPrimitives.WriteUInt64BigEndian(s[1..], value); Done(9); }
    }

    public void Write(int value) => Write((long)value);

    public void WriteMapHeader(int count) =>
        WriteHeader(count, MessagePackCode.MinFixMap, 15, MessagePackCode.Map16, MessagePackCode.Map32);

    public void WriteArrayHeader(int count) =>
        WriteHeader(count, MessagePackCode.MinFixArray, 15, MessagePackCode.Array16, MessagePackCode.Array32);

    public void Write(string value) => Write(value.AsSpan());

    public void Write(scoped ReadOnlySpan<char> value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        if (length <= 31) WriteByte((byte)(MessagePackCode.MinFixStr | length));
        else WriteHeader(length, 0, -1, MessagePackCode.Str8, MessagePackCode.Str16, MessagePackCode.Str32);
        var s = Take(length);
        Encoding.UTF8.GetBytes(value, s);
        Done(length);
    }

    public void Write(scoped ReadOnlySpan<byte> binary)
    {
        WriteHeader(binary.Length, 0, -1, MessagePackCode.Bin8, MessagePackCode.Bin16, MessagePackCode.Bin32);
        binary.CopyTo(Take(binary.Length));
        Done(binary.Length);
    }

    /// <summary>A length-prefixed header: fix form up to <paramref name="fixMax"/>, then the 8/16/32-bit forms.</summary>
    private void WriteHeader(int count, byte fixCode, int fixMax, byte code16, byte code32) =>
        WriteHeader(count, fixCode, fixMax, 0, code16, code32);

    private void WriteHeader(int count, byte fixCode, int fixMax, byte code8, byte code16, byte code32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= fixMax) WriteByte((byte)(fixCode | count));
        else if (code8 != 0 && count <= byte.MaxValue) { var s = Take(2); s[0] = code8; s[1] = (byte)count; Done(2); }
        else if (count <= ushort.MaxValue) { var s = Take(3); s[0] = code16; BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)count); Done(3); }
        else { var s = Take(5); s[0] = code32; BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)count); Done(5); }
    }

    private void WriteByte(byte b)
    {
        _output.GetSpan(1)[0] = b;
        _output.Advance(1);
    }

    private Span<byte> Take(int length) => _output.GetSpan(length)[..length];

    private void Done(int length) => _output.Advance(length);
}
