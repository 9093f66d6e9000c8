using System.Text;
using Preconfig.Capture.Earlydump;
using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Capture;

public class EarlydumpParserTests
{
    public static TheoryData<string, EarlydumpForm, Prefix> Logs()
    {
        var data = new TheoryData<string, EarlydumpForm, Prefix>();
        foreach (var dump in new[] { "pciutils-tests/tree-asus-p6t6", "pciutils-tests/tree-fujitsu-p8010", "hwloc-sysfs-64B/2pa-pcidomain32bits.lspci-x.txt" })
            foreach (var form in new[] { EarlydumpForm.X86Early, EarlydumpForm.HexDump })
                foreach (var prefix in new[] { Prefix.None, Prefix.Dmesg, Prefix.Journal })
                    data.Add(dump, form, prefix);
        return data;
    }

    [Theory]
    [MemberData(nameof(Logs))]
    public void Reads_every_device_of_a_real_dump_in_both_forms_with_any_prefix(string dumpPath, EarlydumpForm form, Prefix prefix)
    {
        var dump = RealDump(dumpPath);
        // hwloc's dumps hold 64 bytes; the kernel always prints 256, the rest as the bus returns it.
        var functions = dump.Functions.Select(f => f with { Config = Pad256(f.Config) }).ToList();
        var log = EarlydumpParser.Parse(Log(functions, form, prefix), "boot.log");

        Assert.Empty(log.Problems);
        Assert.Equal(functions.Select(f => f.Address).Order(), log.Devices.Select(d => d.Address));
        foreach (var f in functions)
        {
            var d = Assert.Single(log.Devices, d => d.Address == f.Address);
            Assert.Equal(f.Config.AsSpan(0, 256).ToArray(), d.Config);
            Assert.Equal(form, d.Form);
            Assert.False(d.Truncated);
        }
    }

    private static byte[] Pad256(byte[] config)
    {
        var b = new byte[256];
        b.AsSpan().Fill(0xff);
        config.AsSpan(0, Math.Min(256, config.Length)).CopyTo(b);
        return b;
    }

    [Fact]
    public void Old_form_rows_printed_as_continuations_without_their_own_timestamp()
    {
        var f = RealDump("pciutils-tests/tree-asus-p6t6").Functions[0];
        var lines = DeviceLines(f, EarlydumpForm.X86Early).ToList();
        var text = new StringBuilder();
        text.Append("[    0.000000] ").Append(lines[0]).Append('\n');
        foreach (var row in lines.Skip(1)) text.Append(row).Append('\n');
        var log = EarlydumpParser.Parse(text.ToString(), "dmesg.txt");
        Assert.Empty(log.Problems);
        Assert.Equal(f.Config.AsSpan(0, 256).ToArray(), Assert.Single(log.Devices).Config);
    }

    [Fact]
    public void Caller_id_brackets_console_levels_and_crlf_are_stripped()
    {
        var f = RealDump("pciutils-tests/tree-asus-p6t6").Functions[1];
        var text = string.Concat(DeviceLines(f, EarlydumpForm.HexDump).Select((l, i) =>
            i % 2 == 0 ? $"[    0.412345] [    T1] {l}\r\n" : $"<6>{l}\r\n"));
        var log = EarlydumpParser.Parse(text, "console.log");
        Assert.Empty(log.Problems);
        Assert.Equal(f.Config.AsSpan(0, 256).ToArray(), Assert.Single(log.Devices).Config);
    }

    [Fact]
    public void A_truncated_row_above_the_header_keeps_64_bytes_and_names_the_line()
    {
        var functions = RealDump("pciutils-tests/tree-asus-p6t6").Functions.Take(3).ToList();
        var lines = Log(functions, EarlydumpForm.HexDump, Prefix.Dmesg).Split('\n').ToList();
        // The second device's row at 0x80: cut it after six bytes, as a log that lost the end of a line.
        int header = lines.FindIndex(l => l.Contains($"pci {functions[1].Address}: config space:"));
        int row = lines.FindIndex(header, l => l.Contains("00000080: "));
        lines[row] = lines[row][..(lines[row].IndexOf("00000080: ") + 10 + 6 * 3 - 1)];
        var log = EarlydumpParser.Parse(string.Join('\n', lines), "boot.log");

        var problem = Assert.Single(log.Problems);
        Assert.Equal(row + 1, problem.Line);
        Assert.Equal("boot.log", problem.File);
        Assert.Contains("truncated row at offset 0x80 (6 of 16 bytes)", problem.Message);
        var cut = Assert.Single(log.Devices, d => d.Address == functions[1].Address);
        Assert.True(cut.Truncated);
        Assert.Equal(functions[1].Config.AsSpan(0, 64).ToArray(), cut.Config);
        // The devices around it are whole.
        Assert.Equal(3, log.Devices.Count);
        Assert.Equal(functions[2].Config.AsSpan(0, 256).ToArray(), log.Devices.Single(d => d.Address == functions[2].Address).Config);

        var records = EarlydumpSource.ToRecords(log, "earlydump:boot.log");
        var record = records.Single(r => r.Address == functions[1].Address);
        Assert.True(record.Truncated);
        Assert.Equal(Pristineness.Firmware, record.Pristineness);
        Assert.Equal(new ConfigOrigin(0, 64, "earlydump:boot.log", Pristineness.Firmware), Assert.Single(record.Origins));
    }

    [Fact]
    public void A_device_cut_inside_its_header_is_dropped_and_reported()
    {
        var functions = RealDump("pciutils-tests/tree-asus-p6t6").Functions.Take(2).ToList();
        var lines = DeviceLines(functions[0], EarlydumpForm.X86Early).Take(3) // header line and rows 00, 10
            .Concat(DeviceLines(functions[1], EarlydumpForm.X86Early)).ToList();
        var log = EarlydumpParser.Parse(string.Join('\n', lines), "cut.log");
        Assert.Equal(functions[1].Address, Assert.Single(log.Devices).Address);
        Assert.Contains(log.Problems, p => p.Line == 4 && p.Message.Contains("stops after 32 of 256 bytes"));
        Assert.Contains(log.Problems, p => p.Line == 1 && p.Message.Contains("fewer than 64 bytes") && p.Message.Contains(functions[0].Address.ToString()));
    }

    [Fact]
    public void A_device_listed_twice_keeps_the_later_listing_and_says_so()
    {
        var f = RealDump("pciutils-tests/tree-asus-p6t6").Functions[0];
        var changed = f with { Config = (byte[])f.Config.Clone() };
        changed.Config[0x04] ^= 0x04; // the second listing has Bus Master toggled
        var text = string.Join('\n', DeviceLines(f, EarlydumpForm.HexDump).Concat(["unrelated"]).Concat(DeviceLines(changed, EarlydumpForm.HexDump)));
        var log = EarlydumpParser.Parse(text, "twice.log");
        var d = Assert.Single(log.Devices);
        Assert.Equal(changed.Config.AsSpan(0, 256).ToArray(), d.Config);
        Assert.Equal(19, d.Line);
        var p = Assert.Single(log.Problems);
        Assert.Equal(19, p.Line);
        Assert.Contains("listed again (first at line 1); the later one is kept", p.Message);
    }

    [Fact]
    public void Another_drivers_hex_dump_between_rows_is_not_taken_for_config_bytes()
    {
        var f = RealDump("pciutils-tests/tree-asus-p6t6").Functions[2];
        var lines = DeviceLines(f, EarlydumpForm.HexDump).ToList();
        lines.Insert(5, "00000000: de ad be ef de ad be ef de ad be ef de ad be ef");
        lines.Insert(6, "00000010: de ad be ef de ad be ef de ad be ef de ad be ef");
        var log = EarlydumpParser.Parse(string.Join('\n', lines.Select((l, i) => WithPrefix(l, Prefix.Journal, i))), "journal.txt");
        Assert.Empty(log.Problems);
        Assert.Equal(f.Config.AsSpan(0, 256).ToArray(), Assert.Single(log.Devices).Config);
    }

    [Fact]
    public void A_log_without_earlydump_output_gives_no_devices_and_a_warning()
    {
        using var dir = new TempDir();
        string path = dir.File("plain.log", "[    0.000000] Linux version 6.1\n[    0.1] nothing here\n");
        var capture = new EarlydumpSource(path, new FileSystem()).Capture();
        Assert.Empty(capture.Devices);
        Assert.Contains(capture.Warnings, w => w.Contains("no pci=earlydump output found"));
    }

    [Fact]
    public void Reads_from_stdin()
    {
        var f = RealDump("pciutils-tests/tree-asus-p6t6").Functions[0];
        string text = string.Join('\n', DeviceLines(f, EarlydumpForm.HexDump));
        var source = new EarlydumpSource("-", new FileSystem(), stdin: () => new StringReader(text));
        var capture = source.Capture();
        Assert.Equal("earlydump:-", source.Description);
        Assert.Equal(f.Address, Assert.Single(capture.Devices).Address);
    }

    [Fact]
    public void Reads_kmsg_records_with_dictionaries_escapes_and_both_forms()
    {
        var dump = RealDump("pciutils-tests/tree-asus-p6t6");
        var (a, b) = (dump.Functions[0], dump.Functions[1]);
        var sb = new StringBuilder();
        long seq = 100;
        void Record(string message) => sb.Append($"6,{seq++},{seq * 1000},-;{message}\n");
        Record("Linux version 6.1.0 \\x5cbackslash\\x5c");
        sb.Append(" SUBSYSTEM=pci\n DEVICE=+pci:0000:00:00.0\n");
        // Current form: one record per line.
        foreach (var l in DeviceLines(a, EarlydumpForm.HexDump)) Record(l);
        // Old form merged into one record, its newlines escaped as the kernel escapes them.
        Record(string.Join("\\x0a", DeviceLines(b, EarlydumpForm.X86Early)));
        Record("PCI: Using configuration type 1");

        using var dir = new TempDir();
        string path = dir.File("kmsg", sb.ToString());
        var capture = new EarlydumpSource(EarlydumpSource.Kmsg, new FileSystem(), kmsgPath: path).Capture();
        Assert.DoesNotContain(capture.Warnings, w => !w.Contains("no pci=earlydump"));
        Assert.Equal([a.Address, b.Address], capture.Devices.Select(d => d.Address));
        Assert.Equal(a.Config.AsSpan(0, 256).ToArray(), capture.Devices[0].Config);
        Assert.Equal(b.Config.AsSpan(0, 256).ToArray(), capture.Devices[1].Config);
        Assert.Equal("earlydump:kmsg", capture.Devices[0].Origins[0].Source);
    }

    [Fact]
    public void Kmsg_unescape_restores_bytes_and_leaves_plain_text_alone()
    {
        Assert.Equal("a\nb\\c", KmsgReader.Unescape("a\\x0ab\\x5cc"));
        Assert.Equal("plain \\y text", KmsgReader.Unescape("plain \\y text"));
        Assert.Equal("é", KmsgReader.Unescape("\\xc3\\xa9"));
    }

    [Fact]
    public void The_live_kernel_log_is_read_without_blocking()
    {
        // /dev/kmsg never ends; a blocking read would hang this test. Read-only. A Linux test machine has it: its
        // absence is a failure here, not a silent pass.
        Assert.True(File.Exists(KmsgReader.DefaultPath), $"{KmsgReader.DefaultPath} missing: this test needs the live kernel log");
        var lines = KmsgReader.ReadLines(KmsgReader.DefaultPath, out _);
        Assert.NotEmpty(lines);
    }

    [Fact]
    public void A_missing_kmsg_is_an_io_error_naming_the_path()
    {
        var e = Assert.Throws<IOException>(() => KmsgReader.ReadLines("/nonexistent/kmsg", out _));
        Assert.Contains("/nonexistent/kmsg", e.Message);
    }
}
