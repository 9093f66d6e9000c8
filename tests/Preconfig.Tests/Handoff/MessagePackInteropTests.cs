using System.Buffers;
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

    /// <summary>
    /// The version 2 rules of docs/handoff-format.md (addresses, dword masks and fill, strings, resource lines
    /// against their registers, origins) written independently in Python: the body a blob carries rebuilds to
    /// exactly what the version 1 export of the same snapshot holds.
    /// </summary>
    [Fact]
    public void Python_reads_the_column_body_to_exactly_the_export()
    {
        var snapshot = HandoffTestData.Sample(40, seed: 5);
        snapshot.Devices[3].Config.AsSpan(64).Fill(0xff); // an 0xff fill
        string dir = HandoffTestData.TempDir();
        string full = Path.Combine(dir, "full.msgpack"), columns = Path.Combine(dir, "columns.msgpack");
        File.WriteAllBytes(full, SnapshotBody.EncodeDeviceMaps(snapshot));
        File.WriteAllBytes(columns, SnapshotBody.Encode(snapshot));
        string output = PythonMsgpack.Run(ColumnRules + """

            full = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
            body = msgpack.unpackb(open(sys.argv[2], "rb").read(), raw=False)
            assert full["version"] == 1 and body["version"] == 2
            devices = functions(body)
            assert len(devices) == len(full["devices"])
            for want, got in zip(full["devices"], devices):
                for key in ("address", "config", "driver", "resets", "resources", "origins", "truncated"):
                    default = None if key == "driver" else False if key == "truncated" else []
                    assert want.get(key, default) == got[key], (want["address"], key, want.get(key), got[key])
            print("ok", len(devices))
            """, full, columns);
        Assert.Equal("ok 40", output.Trim());
    }

    /// <summary>The same Python reader on a real body: every function of every real dump in one snapshot, as a blob
    /// carries it, rebuilds to exactly the version 1 export (every config byte, address and origin).</summary>
    [Fact]
    public void Python_reads_the_column_body_of_every_real_dump_to_exactly_the_export()
    {
        var snapshot = HandoffTestData.EveryRealDump();
        string dir = HandoffTestData.TempDir();
        string full = Path.Combine(dir, "full.msgpack"), columns = Path.Combine(dir, "columns.msgpack");
        File.WriteAllBytes(full, SnapshotBody.EncodeDeviceMaps(snapshot));
        File.WriteAllBytes(columns, HandoffBlob.ReadBody(HandoffBlob.Write(snapshot)).Body);
        string output = PythonMsgpack.Run(ColumnRules + """

            full = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
            body = msgpack.unpackb(open(sys.argv[2], "rb").read(), raw=False)
            assert body["version"] == 2
            devices = functions(body)
            assert [d["address"] for d in devices] == [d["address"] for d in full["devices"]]
            assert [d["config"] for d in devices] == [d["config"] for d in full["devices"]]
            assert [d["origins"] for d in devices] == [d["origins"] for d in full["devices"]]
            print("ok", len(devices), sum(len(d["config"]) == 4096 for d in devices))
            """, full, columns);
        Assert.Equal($"ok {snapshot.Devices.Count} {snapshot.Devices.Count(d => d.Config.Length == 4096)}", output.Trim());
    }

    /// <summary>docs/handoff-format.md, "Version 2", as a reader in another language would write it.</summary>
    private const string ColumnRules = """
        import msgpack, struct, sys

        def u32(c, off): return struct.unpack_from("<I", c, off)[0]
        def u16(c, off): return struct.unpack_from("<H", c, off)[0]

        def predict(c, i):
            t = c[0x0e] & 0x7f
            bars = {0: 6, 1: 2}.get(t, 0)
            if i < bars:
                low = u32(c, 0x10 + 4 * i)
                a = low & ~3 if low & 1 else low & ~0xf
                if low & 7 == 4 and i + 1 < bars: a |= u32(c, 0x14 + 4 * i) << 32
                return a, a
            if i == 6 and t in (0, 1):
                rom = u32(c, 0x30 if t == 0 else 0x38) & ~0x7ff
                return rom, rom
            if t != 1: return 0, 0
            if i == 13:
                wide = c[0x1c] & 0xf == 1
                return ((c[0x1c] & 0xf0) << 8 | (u16(c, 0x30) << 16 if wide else 0),
                        (c[0x1d] & 0xf0) << 8 | 0xfff | (u16(c, 0x32) << 16 if wide else 0))
            if i == 14: return (u16(c, 0x20) & 0xfff0) << 16, (u16(c, 0x22) & 0xfff0) << 16 | 0xfffff
            if i == 15:
                wide = u16(c, 0x24) & 0xf == 1
                return ((u16(c, 0x24) & 0xfff0) << 16 | (u32(c, 0x28) << 32 if wide else 0),
                        (u16(c, 0x26) & 0xfff0) << 16 | 0xfffff | (u32(c, 0x2c) << 32 if wide else 0))
            return 0, 0

        def functions(body):
            f = body["functions"]
            strings = f.get("strings", [])
            n = len(f["address"])
            col = lambda k, d: f.get(k, [d] * n)
            stored, pos, packed, out = f["config"], 0, 0, []
            for i in range(n):
                packed += f["address"][i]
                address = "%04x:%02x:%02x.%x" % (packed >> 16, (packed >> 8) & 0xff, (packed >> 3) & 0x1f, packed & 7)
                mask, fill = f["mask"][i], col("fill", 0)[i]
                config = bytearray([fill]) * (len(mask) * 32)
                for k in range(len(mask) * 8):
                    if mask[k // 8] >> (k % 8) & 1:
                        config[4 * k:4 * k + 4] = stored[pos:pos + 4]; pos += 4
                config = bytes(config)
                r = col("resources", [])[i]
                lines = []
                if r:
                    given = {r[j]: r[j + 1:j + 4] for j in range(1, len(r), 4)}
                    for index in sorted(set(range(r[0])) | set(given)):
                        if index not in given: lines.append([index, 0, 0, 0]); continue
                        s, l, flags = given[index]
                        ps, pe = predict(config, index)
                        start = (s + ps) % 2**64
                        lines.append([index, start, (start + l + pe - ps) % 2**64, flags])
                o = col("origins", [])[i]
                d = col("driver", None)[i]
                out.append({"address": address, "config": config,
                            "driver": None if d is None else strings[d],
                            "resets": [strings[k] for k in col("resets", [])[i]],
                            "resources": lines,
                            "origins": [[o[j], o[j + 1], strings[o[j + 2]], o[j + 3]] for j in range(0, len(o), 4)],
                            "truncated": col("truncated", False)[i]})
            assert pos == len(stored)
            return out
        """;

    /// <summary>
    /// The version 1 holes rule of docs/handoff-format.md written independently in Python, on a blob the previous
    /// release wrote (fixtures/blobs): its body rebuilds to that release's own export.
    /// </summary>
    [Fact]
    public void Python_reads_a_version_1_body_with_holes_to_its_export()
    {
        string dir = HandoffTestData.TempDir();
        string blobs = Path.Combine(RepoPaths.Fixtures, "blobs");
        var (_, raw) = HandoffBlob.ReadBody(File.ReadAllBytes(Path.Combine(blobs, "v1-tree-fujitsu.pcfg")));
        string body = Path.Combine(dir, "body.msgpack"), export = Path.Combine(dir, "export.msgpack");
        File.WriteAllBytes(body, raw);
        using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(blobs, "v1-tree-fujitsu.msgpack.gz")), System.IO.Compression.CompressionMode.Decompress))
        using (var to = File.Create(export)) gz.CopyTo(to);
        string output = PythonMsgpack.Run("""
            import msgpack, re, sys
            compact = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
            full = msgpack.unpackb(open(sys.argv[2], "rb").read(), raw=False)
            assert compact["version"] == 1 and full["version"] == 1
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
            holes = 0
            for f, c in zip(full["devices"], compact["devices"], strict=True):
                assert re.fullmatch(r"[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]", f["address"]), f["address"]
                assert len(f["config"]) in (64, 256, 4096)
                assert f["address"] == c["address"]
                assert expand(c) == f["config"], f["address"]
                holes += len(c.get("holes", [])) // 2
            print("ok", len(full["devices"]), holes > 0)
            """, body, export);
        Assert.Equal("ok 22 True", output.Trim());
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
