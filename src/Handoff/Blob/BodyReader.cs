using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace Preconfig.Handoff.Blob;

/// <summary>
/// MessagePack-CSharp's <see cref="MessagePackReader"/> made strict for the blob body. The library reader is lenient
/// where the format is not (a bin may be given as a str, nil stands for a missing string, 32-bit lengths of 2^31 and
/// more turn negative, strings are not checked for valid UTF-8), and it throws its own exceptions
/// (<see cref="EndOfStreamException"/>, <see cref="MessagePackSerializationException"/>, <see cref="OverflowException"/>).
/// Here every read names the type it wants and its limit, checks both before the library reads, and every problem
/// is a <see cref="BodyFormatException"/> at the offset where the offending value starts. Nothing is allocated
/// except the strings asked for, and those only once their length is known to be within the limit.
/// <para>
/// Cheap per value, since a body holds thousands: no member here is <c>readonly</c> (a readonly member would copy the
/// library reader, a struct of about a hundred bytes, on every call), the type is read from the format byte, and the
/// library's exceptions are caught around each read without a delegate.
/// </para>
/// </summary>
internal ref struct BodyReader
{
    /// <summary>Deepest nesting <see cref="Skip"/> follows in values this reader does not know.</summary>
    public const int MaxSkipDepth = 32;

    private MessagePackReader _reader;
    private readonly ReadOnlyMemory<byte> _body;
    private readonly long _baseOffset;

    /// <param name="body">The body.</param>
    /// <param name="baseOffset">Added to every offset reported (where the body sits in the blob, or 0).</param>
    public BodyReader(ReadOnlyMemory<byte> body, long baseOffset)
    {
        _reader = new MessagePackReader(body);
        _body = body;
        _baseOffset = baseOffset;
    }

    /// <summary>Offset of the next value (blob or body offset, as the base offset says).</summary>
    public long Offset => _baseOffset + _reader.Consumed;
    public long Remaining => _body.Length - _reader.Consumed;
    public bool End => _reader.Consumed >= _body.Length;

    public readonly BodyFormatException Error(long offset, string reason) => new(offset, reason);

    /// <summary>The type of the next value; the reserved byte 0xc1 and the end of the body are errors.</summary>
    public MessagePackType PeekType()
    {
        long consumed = _reader.Consumed;
        if (consumed >= _body.Length) throw Error(_baseOffset + consumed, "unexpected end of the body");
        var type = MessagePackCode.ToMessagePackType(_body.Span[(int)consumed]);
        return type != MessagePackType.Unknown ? type : throw Error(_baseOffset + consumed, "reserved format byte 0xc1");
    }

    /// <summary>A map header of at most <paramref name="max"/> entries (each needs at least 2 bytes after it).</summary>
    public int ReadMapHeader(int max, string what)
    {
        long at = Expect(MessagePackType.Map, what);
        int count;
        try { count = _reader.TryReadMapHeader(out count) ? count : throw new EndOfStreamException(); }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
        return CheckCount(at, count, max, 2, what, "entries");
    }

    /// <summary>An array header of at most <paramref name="max"/> elements (each needs at least 1 byte after it).</summary>
    public int ReadArrayHeader(int max, string what)
    {
        long at = Expect(MessagePackType.Array, what);
        int count;
        try { count = _reader.TryReadArrayHeader(out count) ? count : throw new EndOfStreamException(); }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
        return CheckCount(at, count, max, 1, what, "elements");
    }

    /// <summary>An array header that must say exactly <paramref name="count"/>.</summary>
    public void ReadTuple(int count, string what)
    {
        long at = Offset;
        if (ReadArrayHeader(count, what) != count) throw Error(at, $"{what} is not an array of {count}");
    }

    /// <summary>
    /// The counts come from the input: a negative one (a 32-bit header of 2^31 or more), one over the limit, or one
    /// the bytes left cannot hold is refused before the caller allocates anything for it.
    /// </summary>
    private int CheckCount(long at, int count, int max, int bytesPerElement, string what, string unit)
    {
        if (count < 0) throw Error(at, $"{what} claims 2^31 {unit} or more");
        if (count > max) throw Error(at, $"{what} has {count} {unit}, more than the {max} accepted");
        if ((long)count * bytesPerElement > Remaining) throw Error(at, $"{what} has {count} {unit} but only {Remaining} bytes are left");
        return count;
    }

    public long ReadInt64(long min, long max, string what)
    {
        long at = Expect(MessagePackType.Integer, what);
        long v;
        try { v = _reader.ReadInt64(); }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
        return v >= min && v <= max ? v : throw Error(at, $"{what} is {v}, outside {min}..{max}");
    }

    public int ReadInt32(int min, int max, string what) => (int)ReadInt64(min, max, what);

    public ulong ReadUInt64(string what)
    {
        long at = Expect(MessagePackType.Integer, what);
        try { return _reader.ReadUInt64(); }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
    }

    public bool ReadBoolean(string what)
    {
        long at = Expect(MessagePackType.Boolean, what);
        try { return _reader.ReadBoolean(); }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
    }

    /// <summary>Reads a nil if one is next (true), or nothing (false).</summary>
    public bool TryReadNil()
    {
        if (PeekType() != MessagePackType.Nil) return false;
        _reader.Skip(); // one byte, known to be there
        return true;
    }

    /// <summary>The UTF-8 bytes of a str of at most <paramref name="maxBytes"/>, validated, as a slice of the body.</summary>
    public ReadOnlySpan<byte> ReadStringBytes(int maxBytes, string what)
    {
        long at = Expect(MessagePackType.String, what);
        ReadOnlySpan<byte> span;
        // One segment (the body is one block of memory): the library hands out a slice of it.
        try { span = _reader.ReadStringSequence()!.Value.FirstSpan; }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
        if (span.Length > maxBytes) throw Error(at, $"{what} is {span.Length} bytes long, more than the {maxBytes} accepted");
        return Utf8.IsValid(span) ? span : throw Error(at, $"{what} is not valid UTF-8");
    }

    public string ReadString(int maxBytes, string what) => Encoding.UTF8.GetString(ReadStringBytes(maxBytes, what));

    /// <summary>A bin of at most <paramref name="maxBytes"/>, as a slice of the body (no copy).</summary>
    public ReadOnlySpan<byte> ReadBinary(int maxBytes, string what) => ReadBinaryMemory(maxBytes, what).Span;

    /// <summary><see cref="ReadBinary"/>, as memory a caller can keep while it reads on.</summary>
    public ReadOnlyMemory<byte> ReadBinaryMemory(int maxBytes, string what)
    {
        long at = Expect(MessagePackType.Binary, what);
        ReadOnlyMemory<byte> bytes;
        try { bytes = _reader.ReadBytes()!.Value.First; }
        catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
        if (bytes.Length > maxBytes) throw Error(at, $"{what} is {bytes.Length} bytes, more than the {maxBytes} accepted");
        return bytes;
    }

    /// <summary>
    /// Skips one value this reader does not know (a key of a later writer), nested values included. Containers are
    /// walked here, with their counts checked as above, so a hostile count cannot make the walk run long or deep;
    /// the library skips scalars.
    /// </summary>
    public void Skip(string what, int depth = 0)
    {
        long at = Offset;
        if (depth >= MaxSkipDepth) throw Error(at, $"{what}: nesting deeper than {MaxSkipDepth} levels");
        switch (PeekType())
        {
            case MessagePackType.Map:
                for (int n = ReadMapHeader(int.MaxValue, what); n > 0; n--) { Skip(what, depth + 1); Skip(what, depth + 1); }
                break;
            case MessagePackType.Array:
                for (int n = ReadArrayHeader(int.MaxValue, what); n > 0; n--) Skip(what, depth + 1);
                break;
            default:
                try { _reader.Skip(); }
                catch (Exception e) when (IsLibraryError(e)) { throw Wrap(at, what, e); }
                break;
        }
    }

    /// <summary>Checks the next value's type; returns its offset.</summary>
    private long Expect(MessagePackType type, string what)
    {
        long at = Offset;
        var found = PeekType();
        return found == type ? at : throw Error(at, $"{what}: expected {Describe(type)}, found {Describe(found)}");
    }

    /// <summary>
    /// What the library throws once the type was checked: a value cut short by the end of the body, a length past
    /// it (negative once read as 32-bit signed), or an integer too large for the type asked.
    /// </summary>
    private static bool IsLibraryError(Exception e) =>
        e is EndOfStreamException or ArgumentOutOfRangeException or OverflowException or MessagePackSerializationException;

    private static BodyFormatException Wrap(long at, string what, Exception e) => e switch
    {
        OverflowException => new BodyFormatException(at, $"{what} does not fit the integer type it is read as", e),
        MessagePackSerializationException => new BodyFormatException(at, $"{what}: {e.Message}", e),
        _ => new BodyFormatException(at, $"{what} runs past the end of the body", e),
    };

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Integer => "an integer",
        MessagePackType.Nil => "nil",
        MessagePackType.Boolean => "a boolean",
        MessagePackType.Float => "a float",
        MessagePackType.String => "a string",
        MessagePackType.Binary => "binary data",
        MessagePackType.Array => "an array",
        MessagePackType.Map => "a map",
        MessagePackType.Extension => "an extension",
        _ => "the reserved byte 0xc1",
    };
}
