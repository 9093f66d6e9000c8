using System.Buffers;
using Preconfig.Handoff.Blob;
using MessagePack;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// Both directions against Debian's python3-msgpack: MessagePack-CSharp's writer (what the body is written with)
/// gives byte-identical output, and our strict reader (<see cref="BodyReader"/>) reads back what Python packs.
/// </summary>
public class MessagePackInteropTests
{
    // The same values, built by Python (below) and by C# (Write): every width of int, str, bin, nested maps/arrays.
    private const string Values = """
        import msgpack, sys
        big_map = {str(i): i for i in range(16)}
        values = [0, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**63 - 1, 2**64 - 1,
                  -1, -32, -33, -128, -129, -32768, -32769, -2**31, -2**31 - 1, -2**63,
                  "", "x" * 31, "x" * 32, "x" * 256, "x" * 65536, "é€😀",
                  b"", bytes(range(256)) * 2, bytes(70000), True, False, None,
                  {"k": [1, {"n": None}]}, big_map, list(range(70000))]
        """;

    private static byte[] WriteValues()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(36);
        foreach (long v in new long[] { 0, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, 1L << 32, long.MaxValue }) w.Write(v);
        w.Write(ulong.MaxValue);
        foreach (long v in new long[] { -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue }) w.Write(v);
        w.Write(""); w.Write(new string('x', 31)); w.Write(new string('x', 32)); w.Write(new string('x', 256)); w.Write(new string('x', 65536)); w.Write("é€😀");
        w.Write(ReadOnlySpan<byte>.Empty);
        var twice = new byte[512];
        for (int i = 0; i < 512; i++) twice[i] = (byte)i;
        w.Write((ReadOnlySpan<byte>)twice);
        w.Write((ReadOnlySpan<byte>)new byte[70000]);
        w.Write(true); w.Write(false); w.WriteNil();
        w.WriteMapHeader(1); w.Write("k"); w.WriteArrayHeader(2); w.Write(1); w.WriteMapHeader(1); w.Write("n"); w.WriteNil();
        w.WriteMapHeader(16); for (int i = 0; i < 16; i++) { w.Write(i.ToString()); w.Write(i); }
        w.WriteArrayHeader(70000); for (int i = 0; i < 70000; i++) w.Write(i);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Our_bytes_equal_python_packb_and_unpack_to_the_same_values()
    {
        string dir = HandoffTestData.TempDir();
        string file = Path.Combine(dir, "ours.msgpack");
        File.WriteAllBytes(file, WriteValues());
        string output = PythonMsgpack.Run(Values + """

            data = open(sys.argv[1], "rb").read()
            assert msgpack.unpackb(data, raw=False, strict_map_key=False) == values, "values differ"
            assert msgpack.packb(values, use_bin_type=True) == data, "bytes differ from packb"
            print("ok", len(data))
            """, file);
        Assert.StartsWith("ok", output);
    }

    [Fact]
    public void We_read_what_python_packs()
    {
        string dir = HandoffTestData.TempDir();
        string file = Path.Combine(dir, "python.msgpack");
        PythonMsgpack.Run(Values + "\nopen(sys.argv[1], 'wb').write(msgpack.packb(values, use_bin_type=True))\n", file);
        var data = File.ReadAllBytes(file);
        Assert.Equal(WriteValues(), data);

        var r = new BodyReader(data, 0);
        Assert.Equal(36, r.ReadArrayHeader(36, "values"));
        foreach (long v in new long[] { 0, 127, 128, 255, 256, 65535, 65536, uint.MaxValue, 1L << 32, long.MaxValue }) Assert.Equal(v, r.ReadInt64(long.MinValue, long.MaxValue, "int"));
        Assert.Equal(ulong.MaxValue, r.ReadUInt64("uint"));
        foreach (long v in new long[] { -1, -32, -33, -128, -129, -32768, -32769, int.MinValue, (long)int.MinValue - 1, long.MinValue }) Assert.Equal(v, r.ReadInt64(long.MinValue, long.MaxValue, "int"));
        Assert.Equal("", r.ReadString(0, "str"));
        Assert.Equal(new string('x', 31), r.ReadString(31, "str"));
        Assert.Equal(new string('x', 32), r.ReadString(32, "str"));
        Assert.Equal(new string('x', 256), r.ReadString(256, "str"));
        Assert.Equal(new string('x', 65536), r.ReadString(65536, "str"));
        Assert.Equal("é€😀", r.ReadString(16, "str"));
        Assert.Equal(0, r.ReadBinary(0, "bin").Length);
        var bin = r.ReadBinary(512, "bin");
        Assert.Equal(512, bin.Length);
        Assert.Equal(255, bin[255]);
        Assert.Equal(70000, r.ReadBinary(70000, "bin").Length);
        Assert.True(r.ReadBoolean("bool"));
        Assert.False(r.ReadBoolean("bool"));
        Assert.Equal(MessagePackType.Nil, r.PeekType());
        r.Skip("nil");
        Assert.Equal(1, r.ReadMapHeader(1, "map"));
        Assert.Equal("k", r.ReadString(1, "key"));
        r.Skip("value");
        Assert.Equal(16, r.ReadMapHeader(16, "map"));
        for (int i = 0; i < 16; i++) { Assert.Equal(i.ToString(), r.ReadString(2, "key")); Assert.Equal(i, r.ReadInt32(0, 15, "value")); }
        Assert.Equal(70000, r.ReadArrayHeader(70000, "array"));
        for (int i = 0; i < 70000; i++) Assert.Equal(i, r.ReadInt32(0, 69999, "element"));
        Assert.True(r.End);
    }

    [Fact]
    public void Python_reads_both_body_forms_and_the_holes_rule_rebuilds_the_config()
    {
        var snapshot = HandoffTestData.Sample(40, seed: 5);
        string dir = HandoffTestData.TempDir();
        string full = Path.Combine(dir, "full.msgpack"), compact = Path.Combine(dir, "compact.msgpack");
        File.WriteAllBytes(full, SnapshotBody.Encode(snapshot, trimConfig: false));
        File.WriteAllBytes(compact, SnapshotBody.Encode(snapshot, trimConfig: true));
        // The expansion rule of docs/handoff-format.md, written independently in Python.
        string output = PythonMsgpack.Run("""
            import msgpack, re, sys
            full = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
            compact = msgpack.unpackb(open(sys.argv[2], "rb").read(), raw=False)
            assert full["version"] == 1 and isinstance(full["devices"], list)
            def expand(d):
                data, length = d["config"], d.get("length", len(d["config"]))
                out, src, pos = bytearray(), 0, 0
                holes = d.get("holes", [])
                for off, n in zip(holes[0::2], holes[1::2]):
                    out += data[src:src + off - pos]; src += off - pos
                    out += bytes(n); pos = off + n
                out += data[src:]
                out += bytes([d.get("fill", 0)]) * (length - len(out))
                return bytes(out)
            for f, c in zip(full["devices"], compact["devices"]):
                assert re.fullmatch(r"[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", f["address"]), f["address"]
                assert len(f["config"]) in (64, 256, 4096)
                assert f["address"] == c["address"]
                assert expand(c) == f["config"], f["address"]
            print("ok", len(full["devices"]))
            """, full, compact);
        Assert.Equal("ok 40", output.Trim());
    }

    [Fact]
    public void A_body_written_by_python_decodes()
    {
        string dir = HandoffTestData.TempDir();
        string file = Path.Combine(dir, "py-body.msgpack");
        PythonMsgpack.Run("""
            import msgpack, sys
            cfg = bytes([0x86, 0x80, 0x37, 0x12]) + bytes(60)
            body = {"version": 1, "host": "pyhost", "future-key": [1.5, {"x": None}],
                    "devices": [{"address": "0000:00:00.0", "config": cfg},
                                {"address": "0000:00:1f.3", "config": cfg + bytes(192), "driver": "snd_hda_intel"}]}
            open(sys.argv[1], "wb").write(msgpack.packb(body, use_bin_type=True))
            """, file);
        var s = SnapshotBody.Decode(File.ReadAllBytes(file));
        Assert.Equal("pyhost", s.HostName);
        Assert.Equal(2, s.Devices.Count);
        Assert.Equal(0x8086, s.Devices[0].VendorId);
        Assert.Equal(256, s.Devices[1].CapturedLength);
        Assert.Equal("snd_hda_intel", s.Devices[1].Driver);
    }
}
