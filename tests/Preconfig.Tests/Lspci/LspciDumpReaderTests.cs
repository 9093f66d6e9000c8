using System.Text;

namespace Preconfig.Tests.Lspci;

public sealed class LspciDumpReaderTests
{
    private const string Good1 = "00:00.0 Host bridge: Intel\n00: 86 80 57 0d 06 00 10 00 00 00 00 06 00 00 00 00\n10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n\n";
    private const string Good2 = "0000:00:1f.3 SMBus\n00: 86 80 30 20 03 00 80 02 05 00 05 0c 00 00 00 00\n\n";

    private static PciAddress[] Addresses(LspciDump d) => [.. d.Functions.Select(f => f.Address)];

    private static readonly PciAddress A = PciAddress.Parse("00:00.0"), B = PciAddress.Parse("00:1f.3");

    [Fact]
    public void Reads_domains_of_4_and_5_digits_and_decoded_lines_in_between()
    {
        var d = LspciDumpReader.Parse("0000:00:00.0 Host bridge\n\tControl: I/O- Mem+\n\tCapabilities: [40] Vendor\n00: 86 80\n\n10000:e1:00.0 VMD\n\tKernel driver in use: nvme\n00: 86 80 01 02\n\n");
        Assert.Empty(d.Problems);
        Assert.Equal([A, new PciAddress(0x10000, 0xe1, 0, 0)], Addresses(d));
        Assert.Equal(0x80, d.Functions[0].Config[1]);
        Assert.Equal(64, d.Functions[0].Config.Length);
        Assert.Equal(0xff, d.Functions[0].Config[2]); // bytes the dump does not hold read as all ones
    }

    [Fact]
    public void Crlf_reads_exactly_as_lf()
    {
        var lf = LspciDumpReader.Parse(Good1 + Good2);
        var crlf = LspciDumpReader.Parse((Good1 + Good2).Replace("\n", "\r\n"));
        Assert.Empty(crlf.Problems);
        Assert.Equal(Addresses(lf), Addresses(crlf));
        Assert.Equal(lf.Functions[0].Config, crlf.Functions[0].Config);
    }

    [Fact]
    public void Dump_lengths_are_64_256_or_4096()
    {
        var sb = new StringBuilder("00:00.0 x\n");
        for (int off = 0; off < 0x100; off += 16) sb.Append($"{off:x2}: 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10\n");
        sb.Append("ff0: 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10\n\n");
        var f = Assert.Single(LspciDumpReader.Parse(sb.ToString()).Functions);
        Assert.Equal(4096, f.Config.Length);
        Assert.Equal(0x10, f.Config[0xfff]);
        Assert.Equal(0xff, f.Config[0x100]);
    }

    [Fact]
    public void Binary_junk_is_a_problem_on_its_line_and_the_devices_around_it_are_kept()
    {
        var bytes = Encoding.ASCII.GetBytes(Good1).Concat(new byte[] { 0x00, 0x01, 0xfe, 0x7f, 0x1b, (byte)'\n' }).Concat(Encoding.ASCII.GetBytes(Good2)).ToArray();
        var d = LspciDumpReader.Read(new MemoryStream(bytes), "junk.txt");
        Assert.Equal([A, B], Addresses(d));
        var p = Assert.Single(d.Problems);
        Assert.Equal(7, p.Line);
        Assert.StartsWith("junk.txt:7: binary data", p.ToString());
    }

    [Fact]
    public void A_100_MB_line_is_a_problem_without_being_held_in_memory()
    {
        const long size = 100L * 1024 * 1024;
        var stream = new ConcatStream(Encoding.ASCII.GetBytes(Good1), new RepeatStream((byte)'7', size), Encoding.ASCII.GetBytes("\n" + Good2));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var d = LspciDumpReader.Read(stream, "huge.txt");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal([A, B], Addresses(d));
        var p = Assert.Single(d.Problems);
        Assert.Equal(7, p.Line);
        Assert.Contains("longer than", p.Message);
        Assert.True(allocated < 16 * 1024 * 1024, $"allocated {allocated} bytes reading a 100 MB line");
    }

    [Fact]
    public void An_offset_past_4096_leaves_its_device_out_and_names_the_line()
    {
        string bad = "00:01.0 x\n00: 86 80 01 00\n1000: 00 11\n\n";
        var d = LspciDumpReader.Parse(Good1 + bad + Good2, "past.txt");
        Assert.Equal([A, B], Addresses(d));
        var p = Assert.Single(d.Problems);
        Assert.Equal(9, p.Line);
        Assert.Contains("past the 4096-byte", p.Message);
        Assert.Contains("0000:00:01.0", p.Message);

        d = LspciDumpReader.Parse("00:01.0 x\nff0: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10\n\n" + Good2);
        Assert.Contains("past the 4096-byte", Assert.Single(d.Problems).Message);
        Assert.Equal([B], Addresses(d));
        d = LspciDumpReader.Parse("00:01.0 x\nffffffff: 00\n\n" + Good2);
        Assert.Single(d.Problems);
        Assert.Equal([B], Addresses(d));
    }

    [Fact]
    public void A_bad_byte_leaves_its_device_out_and_the_rest_is_read()
    {
        var d = LspciDumpReader.Parse(Good1 + "00:01.0 x\n00: 86 80 zz 00\n10: 00\n\n" + Good2, "bad.txt");
        Assert.Equal([A, B], Addresses(d));
        Assert.Equal("bad.txt:8: bad byte 'zz 00' in the row at offset 0x0; 0000:00:01.0 (line 7) is left out", Assert.Single(d.Problems).ToString());
    }

    [Fact]
    public void An_impossible_address_and_a_row_outside_a_device_are_problems()
    {
        var d = LspciDumpReader.Parse("00:20.0 x\n00: 86 80\n\n00: 11 22\n" + Good2);
        Assert.Equal([B], Addresses(d));
        Assert.Equal([1, 4], d.Problems.Select(p => p.Line));
    }

    [Fact]
    public void A_repeated_address_keeps_the_later_one_and_says_so()
    {
        var d = LspciDumpReader.Parse(Good2 + Good2.Replace("30 20", "31 20"));
        var f = Assert.Single(d.Functions);
        Assert.Equal(0x31, f.Config[2]);
        Assert.Contains("listed again", Assert.Single(d.Problems).Message);
    }

    [Fact]
    public void An_unterminated_last_line_and_no_blank_line_at_the_end_are_accepted()
    {
        var d = LspciDumpReader.Parse("00:1f.3 SMBus\n00: 86 80 30 20");
        Assert.Empty(d.Problems);
        Assert.Equal(0x2030, ConfigBytes.DeviceId(Assert.Single(d.Functions).Config));
    }

    [Fact]
    public void Random_bytes_never_crash_or_hang()
    {
        var random = new Random(20261121);
        for (int round = 0; round < 20; round++)
        {
            var bytes = new byte[64 * 1024];
            random.NextBytes(bytes);
            // Sprinkle real structure in so the reader goes down every path.
            var text = Encoding.ASCII.GetBytes(Good1 + "00:02.0 x\n10: 00 01\n" + Good2);
            text.CopyTo(bytes, random.Next(bytes.Length - text.Length));
            var d = LspciDumpReader.Read(new MemoryStream(bytes), "random");
            Assert.All(d.Problems, p => Assert.InRange(p.Line, 1, bytes.Length + 1));
        }
    }

    /// <summary>A stream of one byte repeated, produced on demand (the 100 MB line is never in memory).</summary>
    private sealed class RepeatStream(byte value, long length) : Stream
    {
        private long _position;
        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, length - _position);
            buffer.AsSpan(offset, n).Fill(value);
            _position += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class ConcatStream(params object[] parts) : Stream
    {
        private readonly Queue<Stream> _parts = new(parts.Select(p => p as Stream ?? new MemoryStream((byte[])p)));
        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_parts.Count > 0)
            {
                int n = _parts.Peek().Read(buffer, offset, count);
                if (n > 0) return n;
                _parts.Dequeue();
            }
            return 0;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Bytes_of_short_or_missing_rows_are_unknown_not_the_devices()
    {
        var d = LspciDumpReader.Parse("00:00.0 x\n00: 86 80 57 0d 06 00 10 00 00 00 00 06 00 00 00 00\n20: 01 02\n30: 00 00 00 00\n\n00:01.0 y\n00: 86 80\n\n");
        Assert.Empty(d.Problems);
        var f = d.Functions[0];
        Assert.Equal(64, f.Config.Length);
        Assert.Equal(0xff, f.Config[0x10]); // still read as all ones, as lspci's dump backend does
        Assert.Equal([(0x00, 16), (0x20, 2), (0x30, 4)], f.Known.Ranges);
        Assert.True(f.Known.Covers(0x20, 2));
        Assert.False(f.Known.Covers(0x20, 4));
        Assert.False(f.Known.IsKnown(0x10));
        Assert.Equal([(0x02, 62)], d.Functions[1].Known.Gaps);
        // A complete dump is known whole.
        Assert.True(LspciDumpReader.Parse(Good1).Functions[0].Known.IsComplete);
    }
}
