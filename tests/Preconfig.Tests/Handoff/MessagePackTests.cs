using System.Buffers;
using Preconfig.Handoff.MessagePack;

namespace Preconfig.Tests.Handoff;

public class MessagePackTests
{
    private delegate void WriteAction(ref MessagePackWriter w);

    private static byte[] Write(WriteAction write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        return buffer.WrittenSpan.ToArray();
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
        var r = new MessagePackReader(bytes);
        Assert.Equal(value, r.ReadInt64());
        Assert.True(r.End);
    }

    [Fact]
    public void UInt64_max_reads_as_unsigned_and_is_rejected_as_signed()
    {
        var bytes = Write((ref MessagePackWriter w) => w.Write(ulong.MaxValue));
        Assert.Equal("cfffffffffffffffff", Convert.ToHexStringLower(bytes));
        Assert.Equal(ulong.MaxValue, new MessagePackReader(bytes).ReadUInt64());
        var e = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(bytes).ReadInt64());
        Assert.Equal(0, e.Offset);
        var neg = Write((ref MessagePackWriter w) => w.Write(-5L));
        Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(neg).ReadUInt64());
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
        Assert.Equal(s, new MessagePackReader(bytes).ReadString());
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
        Assert.Equal(data, new MessagePackReader(bytes).ReadBinary().ToArray());
    }

    [Theory]
    [InlineData(15, "8f", "9f")]
    [InlineData(16, "de0010", "dc0010")]
    [InlineData(65536, "df00010000", "dd00010000")]
    public void Maps_and_arrays_at_header_boundaries(int count, string mapPrefix, string arrayPrefix)
    {
        var map = Write((ref MessagePackWriter w) => { w.WriteMapHeader(count); for (int i = 0; i < count; i++) { w.Write(i); w.WriteNil(); } });
        Assert.StartsWith(mapPrefix, Convert.ToHexStringLower(map.AsSpan(0, 5)));
        var r = new MessagePackReader(map);
        Assert.Equal(count, r.ReadMapHeader());
        for (int i = 0; i < count; i++) { Assert.Equal(i, r.ReadInt32()); Assert.True(r.TryReadNil()); }
        Assert.True(r.End);

        var array = Write((ref MessagePackWriter w) => { w.WriteArrayHeader(count); for (int i = 0; i < count; i++) w.Write(i % 2 == 0); });
        Assert.StartsWith(arrayPrefix, Convert.ToHexStringLower(array.AsSpan(0, 5)));
        var ra = new MessagePackReader(array);
        Assert.Equal(count, ra.ReadArrayHeader());
        for (int i = 0; i < count; i++) Assert.Equal(i % 2 == 0, ra.ReadBoolean());
    }

    [Theory]
    [InlineData("c1", 0, "reserved")]
    [InlineData("cd01", 1, "end of data")]
    [InlineData("a5616263", 0, "5 bytes")]
    [InlineData("a2c328", 1, "UTF-8")]
    [InlineData("dc0005c0c0", 0, "array of 5")]
    [InlineData("df00000010c0", 0, "map of 16")]
    [InlineData("c6ffffffff00", 0, "binary of 4294967295")]
    [InlineData("", 0, "end of data")]
    public void Malformed_input_names_the_offset(string hex, long offset, string text)
    {
        var bytes = Convert.FromHexString(hex);
        var e = Assert.Throws<MessagePackFormatException>(() => { var r = new MessagePackReader(bytes); r.Skip(); });
        Assert.Equal(offset, e.Offset);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void Wrong_type_is_reported_with_what_was_found()
    {
        var bytes = Write((ref MessagePackWriter w) => { w.WriteNil(); w.Write("s"); });
        var e = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(bytes, baseOffset: 100).ReadString());
        Assert.Equal(100, e.Offset);
        Assert.Contains("expected a string, found nil", e.Message);
    }

    [Fact]
    public void Skip_walks_every_type_and_stops_deep_nesting()
    {
        // Floats and extensions are valid MessagePack other writers may put in keys we do not know.
        var ok = Convert.FromHexString("8aa161ca3f800000a162cb3ff0000000000000a163d40105a164c70301616263a165c0a166c3a167c403010203a16891a101a169d9026869a16a80");
        var r = new MessagePackReader(ok);
        r.Skip();
        Assert.True(r.End);

        var deep = new byte[MessagePackReader.MaxDepth + 1];
        deep.AsSpan().Fill(0x91);
        deep[^1] = 0xc0;
        var e = Assert.Throws<MessagePackFormatException>(() => { var rd = new MessagePackReader(deep); rd.Skip(); });
        Assert.Contains("nesting", e.Message);
    }
}
