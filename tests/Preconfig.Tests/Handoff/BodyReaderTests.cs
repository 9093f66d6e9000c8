using System.Buffers;
using MessagePack;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// The body's MessagePack layer: MessagePack-CSharp's writer chooses the shortest form (what python3-msgpack writes,
/// MessagePackInteropTests checks the bytes), and <see cref="BodyReader"/> makes the library's reader strict: the
/// type asked for, limits before allocation, and every problem one <see cref="BodyFormatException"/> with its offset.
/// </summary>
public class BodyReaderTests
{
    private delegate void WriteAction(ref MessagePackWriter w);

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static BodyFormatException Fails(string hex, Action<byte[]> read)
    {
        var bytes = Convert.FromHexString(hex);
        return Assert.Throws<BodyFormatException>(() => read(bytes));
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483648L, "d280000000")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    public void Integers_use_the_shortest_form_and_read_back(long value, string hex)
    {
        var bytes = Write((ref MessagePackWriter w) => w.Write(value));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        var r = new BodyReader(bytes, 0);
        Assert.Equal(value, r.ReadInt64(long.MinValue, long.MaxValue, "v"));
        Assert.True(r.End);
    }

    [Fact]
    public void UInt64_max_reads_as_unsigned_and_is_rejected_as_signed_and_a_range_is_enforced()
    {
        var bytes = Write((ref MessagePackWriter w) => w.Write(ulong.MaxValue));
        Assert.Equal("cfffffffffffffffff", Convert.ToHexStringLower(bytes));
        Assert.Equal(ulong.MaxValue, new BodyReader(bytes, 0).ReadUInt64("v"));
        var e = Assert.Throws<BodyFormatException>(() => new BodyReader(bytes, 0).ReadInt64(long.MinValue, long.MaxValue, "v"));
        Assert.Equal(0, e.Offset);
        Assert.Contains("does not fit", e.Message);
        var neg = Write((ref MessagePackWriter w) => w.Write(-5L));
        Assert.Throws<BodyFormatException>(() => new BodyReader(neg, 0).ReadUInt64("v"));
        e = Assert.Throws<BodyFormatException>(() => new BodyReader(neg, 7).ReadInt64(0, 10, "\"fill\""));
        Assert.Equal("\"fill\" is -5, outside 0..10 (body offset 7)", e.Message);
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void Strings_at_every_length_boundary(int length, string prefix)
    {
        string s = new('x', length);
        var bytes = Write((ref MessagePackWriter w) => w.Write(s));
        Assert.StartsWith(prefix, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))));
        Assert.Equal(s, new BodyReader(bytes, 0).ReadString(length, "s"));
        if (length > 0)
        {
            var e = Assert.Throws<BodyFormatException>(() => new BodyReader(bytes, 0).ReadString(length - 1, "\"host\""));
            Assert.Contains($"\"host\" is {length} bytes long, more than the {length - 1} accepted", e.Message);
        }
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65536, "c600010000")]
    public void Binary_at_every_length_boundary(int length, string prefix)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var bytes = Write((ref MessagePackWriter w) => w.Write((ReadOnlySpan<byte>)data));
        Assert.StartsWith(prefix, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))));
        Assert.Equal(data, new BodyReader(bytes, 0).ReadBinary(length, "b").ToArray());
    }

    [Theory]
    [InlineData(15, "8f", "9f")]
    [InlineData(16, "de0010", "dc0010")]
    [InlineData(65536, "df00010000", "dd00010000")]
    public void Maps_and_arrays_at_header_boundaries(int count, string mapPrefix, string arrayPrefix)
    {
        var map = Write((ref MessagePackWriter w) => { w.WriteMapHeader(count); for (int i = 0; i < count; i++) { w.Write(i); w.WriteNil(); } });
        Assert.StartsWith(mapPrefix, Convert.ToHexStringLower(map.AsSpan(0, 5)));
        var r = new BodyReader(map, 0);
        Assert.Equal(count, r.ReadMapHeader(count, "m"));
        for (int i = 0; i < count; i++) { Assert.Equal(i, r.ReadInt32(0, count, "k")); r.Skip("nil"); }
        Assert.True(r.End);

        var array = Write((ref MessagePackWriter w) => { w.WriteArrayHeader(count); for (int i = 0; i < count; i++) w.Write(i % 2 == 0); });
        Assert.StartsWith(arrayPrefix, Convert.ToHexStringLower(array.AsSpan(0, 5)));
        var ra = new BodyReader(array, 0);
        Assert.Equal(count, ra.ReadArrayHeader(count, "a"));
        for (int i = 0; i < count; i++) Assert.Equal(i % 2 == 0, ra.ReadBoolean("b"));

        var e = Assert.Throws<BodyFormatException>(() => new BodyReader(array, 0).ReadArrayHeader(count - 1, "\"resources\""));
        Assert.Contains($"\"resources\" has {count} elements, more than the {count - 1} accepted", e.Message);
    }

    [Theory]
    [InlineData("c1", 0, "reserved format byte 0xc1")]
    [InlineData("91cd01", 1, "runs past the end")]                   // an integer cut short
    [InlineData("a5616263", 0, "runs past the end")]                 // a string longer than what is left
    [InlineData("dc0005c0c0", 0, "has 5 elements but only 2 bytes are left")]
    [InlineData("df00000010c0", 0, "has 16 entries but only 1 bytes are left")]
    [InlineData("dd80000000", 0, "claims 2^31 elements or more")]    // negative once read as a signed 32-bit count
    [InlineData("c6ffffffff00", 0, "runs past the end")]             // a 32-bit length of 2^32-1
    [InlineData("db8000000041", 0, "runs past the end")]             // ... and of 2^31
    [InlineData("c7ff0100", 0, "runs past the end")]                 // an extension longer than what is left
    [InlineData("", 0, "unexpected end of the body")]
    public void Malformed_input_names_the_offset_of_the_value(string hex, long offset, string text)
    {
        var e = Fails(hex, bytes => { var r = new BodyReader(bytes, 0); r.Skip("v"); });
        Assert.Equal(offset, e.Offset);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Wrong_types_are_reported_with_what_was_found_even_where_the_library_would_convert()
    {
        var e = Fails("c0a173", bytes => new BodyReader(bytes, 100).ReadString(10, "\"host\""));
        Assert.Equal(100, e.Offset);
        Assert.Equal("\"host\": expected a string, found nil (body offset 100)", e.Message);
        // MessagePack-CSharp reads a str as bin (the old spec had no bin); the body format does not.
        e = Fails("a3616263", bytes => new BodyReader(bytes, 0).ReadBinary(10, "\"config\""));
        Assert.Contains("expected binary data, found a string", e.Message);
        e = Fails("ca3f800000", bytes => new BodyReader(bytes, 0).ReadInt64(0, 1, "\"length\""));
        Assert.Contains("expected an integer, found a float", e.Message);
        e = Fails("a2c328", bytes => new BodyReader(bytes, 0).ReadString(10, "\"driver\""));
        Assert.Contains("\"driver\" is not valid UTF-8", e.Message);
        e = Fails("93000000", bytes => new BodyReader(bytes, 0).ReadTuple(4, "a resource"));
        Assert.Contains("a resource is not an array of 4", e.Message);
    }

    [Fact]
    public void Skip_walks_every_type_and_stops_deep_nesting()
    {
        // Floats and extensions are valid MessagePack that later writers may put under keys we do not know.
        var ok = Convert.FromHexString("8aa161ca3f800000a162cb3ff0000000000000a163d40105a164c70301616263a165c0a166c3a167c403010203a16891a101a169d9026869a16a80");
        var r = new BodyReader(ok, 0);
        r.Skip("v");
        Assert.True(r.End);

        var deep = new byte[BodyReader.MaxSkipDepth + 1];
        deep.AsSpan().Fill(0x91);
        deep[^1] = 0xc0;
        var e = Assert.Throws<BodyFormatException>(() => { var rd = new BodyReader(deep, 0); rd.Skip("v"); });
        Assert.Contains("nesting deeper than", e.Message);
        Assert.Equal(BodyReader.MaxSkipDepth, e.Offset);
    }
}
