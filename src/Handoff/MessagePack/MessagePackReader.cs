using System.Buffers.Binary;
using System.Text;

namespace Preconfig.Handoff.MessagePack;

/// <summary>The kind of the next MessagePack value.</summary>
public enum MessagePackType { Nil, Boolean, Integer, Float, String, Binary, Array, Map, Extension }

/// <summary>
/// Reads MessagePack from a span, in the manner of System.Formats.Cbor's reader: one value at a time, strict, and
/// every problem (truncation, the reserved byte 0xc1, a type other than the one asked for, a length longer than
/// the bytes left, invalid UTF-8, nesting deeper than <see cref="MaxDepth"/>) is a
/// <see cref="MessagePackFormatException"/> naming the offset. Lengths are checked before anything is allocated:
/// a count of N elements needs at least N bytes left, so hostile headers cannot make the caller allocate much.
/// </summary>
public ref struct MessagePackReader
{
    /// <summary>Deepest nesting <see cref="Skip"/> follows; deeper input is rejected rather than overflowing the stack.</summary>
    public const int MaxDepth = 64;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private int _position;

    /// <param name="data">The bytes to read.</param>
    /// <param name="baseOffset">Added to offsets in error messages (where <paramref name="data"/> sits in a larger blob).</param>
    public MessagePackReader(ReadOnlySpan<byte> data, long baseOffset = 0)
    {
        _data = data;
        _baseOffset = baseOffset;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _data.Length - _position;
    public readonly bool End => _position >= _data.Length;

    public readonly MessagePackType PeekType()
    {
        byte code = PeekCode();
        return code switch
        {
            <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt => MessagePackType.Integer,
            <= MessagePackCode.MaxFixMap => MessagePackType.Map,
            <= MessagePackCode.MaxFixArray => MessagePackType.Array,
            <= MessagePackCode.MaxFixStr => MessagePackType.String,
            MessagePackCode.Nil => MessagePackType.Nil,
            MessagePackCode.False or MessagePackCode.True => MessagePackType.Boolean,
            MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32 => MessagePackType.Binary,
            MessagePackCode.Ext8 or MessagePackCode.Ext16 or MessagePackCode.Ext32 => MessagePackType.Extension,
            >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16 => MessagePackType.Extension,
            MessagePackCode.Float32 or MessagePackCode.Float64 => MessagePackType.Float,
            >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => MessagePackType.Integer,
            MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32 => MessagePackType.String,
            MessagePackCode.Array16 or MessagePackCode.Array32 => MessagePackType.Array,
            MessagePackCode.Map16 or MessagePackCode.Map32 => MessagePackType.Map,
            _ => throw Error(_position, "reserved format byte 0xc1"),
        };
    }

    public bool TryReadNil()
    {
        if (PeekCode() != MessagePackCode.Nil) return false;
        _position++;
        return true;
    }

    public bool ReadBoolean()
    {
        int at = _position;
        return ReadCode() switch
        {
            MessagePackCode.True => true,
            MessagePackCode.False => false,
            var c => throw Unexpected(at, c, "a boolean"),
        };
    }

    public long ReadInt64()
    {
        int at = _position;
        byte code = ReadCode();
        if (code <= MessagePackCode.MaxPositiveFixInt) return code;
        if (code >= MessagePackCode.MinNegativeFixInt) return (sbyte)code;
        switch (code)
        {
            case MessagePackCode.UInt8: return Take(1)[0];
            case MessagePackCode.UInt16: return BinaryPrimitives.ReadUInt16BigEndian(Take(2));
            case MessagePackCode.UInt32: return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case MessagePackCode.UInt64:
                ulong u = BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                return u <= long.MaxValue ? (long)u : throw Error(at, $"integer {u} does not fit a signed 64-bit value");
            case MessagePackCode.Int8: return (sbyte)Take(1)[0];
            case MessagePackCode.Int16: return BinaryPrimitives.ReadInt16BigEndian(Take(2));
            case MessagePackCode.Int32: return BinaryPrimitives.ReadInt32BigEndian(Take(4));
            case MessagePackCode.Int64: return BinaryPrimitives.ReadInt64BigEndian(Take(8));
            default: throw Unexpected(at, code, "an integer");
        }
    }

    public ulong ReadUInt64()
    {
        int at = _position;
        if (PeekCode() == MessagePackCode.UInt64)
        {
            _position++;
            return BinaryPrimitives.ReadUInt64BigEndian(Take(8));
        }
        long v = ReadInt64();
        return v >= 0 ? (ulong)v : throw Error(at, $"integer {v} is negative where an unsigned value is expected");
    }

    /// <summary>Reads an integer and checks it lies in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long ReadInt64(long min, long max)
    {
        int at = _position;
        long v = ReadInt64();
        return v >= min && v <= max ? v : throw Error(at, $"integer {v} is outside {min}..{max}");
    }

    public int ReadInt32() => (int)ReadInt64(int.MinValue, int.MaxValue);

    public int ReadArrayHeader() =>
        ReadCollectionHeader(MessagePackCode.MinFixArray, MessagePackCode.MaxFixArray, MessagePackCode.Array16, MessagePackCode.Array32, "an array", 1);

    public int ReadMapHeader() =>
        ReadCollectionHeader(MessagePackCode.MinFixMap, MessagePackCode.MaxFixMap, MessagePackCode.Map16, MessagePackCode.Map32, "a map", 2);

    /// <summary>An array or map header; each element (key and value for a map) takes at least one byte, so the count is checked against what is left.</summary>
    private int ReadCollectionHeader(byte fixMin, byte fixMax, byte code16, byte code32, string what, int bytesPerElement)
    {
        int at = _position;
        byte code = ReadCode();
        long count;
        if (code >= fixMin && code <= fixMax) count = code & 0x0f;
        else if (code == code16) count = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        else if (code == code32) count = BinaryPrimitives.ReadUInt32BigEndian(Take(4));
        else throw Unexpected(at, code, what);
        if (count * bytesPerElement > Remaining)
            throw Error(at, $"{what[(what.IndexOf(' ') + 1)..]} of {count} {(bytesPerElement == 1 ? "elements" : "entries")} but only {Remaining} bytes left");
        return (int)count;
    }

    /// <summary>The raw UTF-8 bytes of a str, validated, without allocating.</summary>
    public ReadOnlySpan<byte> ReadStringSpan()
    {
        int at = _position;
        byte code = ReadCode();
        long length = code switch
        {
            >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr => code & 0x1f,
            MessagePackCode.Str8 => Take(1)[0],
            MessagePackCode.Str16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MessagePackCode.Str32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            _ => throw Unexpected(at, code, "a string"),
        };
        int start = _position;
        var bytes = TakeLength(at, length, "string");
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw Error(start, "string is not valid UTF-8");
        return bytes;
    }

    public string ReadString() => StrictUtf8.GetString(ReadStringSpan());

    /// <summary>A bin's bytes, as a slice of the input (no copy).</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        int at = _position;
        byte code = ReadCode();
        long length = code switch
        {
            MessagePackCode.Bin8 => Take(1)[0],
            MessagePackCode.Bin16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MessagePackCode.Bin32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            _ => throw Unexpected(at, code, "binary data"),
        };
        return TakeLength(at, length, "binary");
    }

    /// <summary>Skips one value of any type, nested values included (at most <see cref="MaxDepth"/> levels).</summary>
    public void Skip() => Skip(0);

    private void Skip(int depth)
    {
        int at = _position;
        if (depth >= MaxDepth) throw Error(at, $"nesting deeper than {MaxDepth} levels");
        switch (PeekType())
        {
            case MessagePackType.Nil: _position++; return;
            case MessagePackType.Boolean: ReadBoolean(); return;
            case MessagePackType.Integer: ReadInt64OrUInt64(); return;
            case MessagePackType.String: ReadStringSpan(); return;
            case MessagePackType.Binary: ReadBinary(); return;
            case MessagePackType.Float:
                Take(ReadCode() == MessagePackCode.Float32 ? 4 : 8);
                return;
            case MessagePackType.Extension: SkipExtension(); return;
            case MessagePackType.Array:
                for (int i = ReadArrayHeader(); i > 0; i--) Skip(depth + 1);
                return;
            case MessagePackType.Map:
                for (int i = ReadMapHeader(); i > 0; i--) { Skip(depth + 1); Skip(depth + 1); }
                return;
        }
    }

    private void ReadInt64OrUInt64()
    {
        if (PeekCode() == MessagePackCode.UInt64) ReadUInt64(); else ReadInt64();
    }

    private void SkipExtension()
    {
        int at = _position;
        byte code = ReadCode();
        long length = code switch
        {
            MessagePackCode.FixExt1 => 1,
            MessagePackCode.FixExt2 => 2,
            MessagePackCode.FixExt4 => 4,
            MessagePackCode.FixExt8 => 8,
            MessagePackCode.FixExt16 => 16,
            MessagePackCode.Ext8 => Take(1)[0],
            MessagePackCode.Ext16 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            MessagePackCode.Ext32 => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
            _ => throw Unexpected(at, code, "an extension"),
        };
        Take(1); // the type byte
        TakeLength(at, length, "extension");
    }

    private readonly byte PeekCode() =>
        _position < _data.Length ? _data[_position] : throw Error(_position, "unexpected end of data");

    private byte ReadCode()
    {
        byte code = PeekCode();
        _position++;
        return code;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining) throw Error(_position, $"unexpected end of data ({count} bytes needed, {Remaining} left)");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private ReadOnlySpan<byte> TakeLength(int headerAt, long length, string what)
    {
        if (length > Remaining) throw Error(headerAt, $"{what} of {length} bytes but only {Remaining} bytes left");
        return Take((int)length);
    }

    /// <summary>An error at <paramref name="position"/> of this reader's span.</summary>
    public readonly MessagePackFormatException Error(int position, string reason) => new(_baseOffset + position, reason);

    private readonly MessagePackFormatException Unexpected(int at, byte code, string expected) =>
        Error(at, $"expected {expected}, found {Describe(code)}");

    private static string Describe(byte code) => code switch
    {
        <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt => "an integer",
        <= MessagePackCode.MaxFixMap or MessagePackCode.Map16 or MessagePackCode.Map32 => "a map",
        <= MessagePackCode.MaxFixArray or MessagePackCode.Array16 or MessagePackCode.Array32 => "an array",
        <= MessagePackCode.MaxFixStr or MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32 => "a string",
        MessagePackCode.Nil => "nil",
        MessagePackCode.NeverUsed => "the reserved byte 0xc1",
        MessagePackCode.False or MessagePackCode.True => "a boolean",
        MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32 => "binary data",
        MessagePackCode.Float32 or MessagePackCode.Float64 => "a float",
        >= MessagePackCode.UInt8 and <= MessagePackCode.Int64 => "an integer",
        _ => "an extension",
    };
}
