namespace Preconfig.Tests.Handoff;

public class SourcesTests
{
    private static readonly FileSystem Fs = new();
    private static string Asus => Path.Combine(HandoffTestData.RealDumps, "pciutils-tests", "tree-asus-p6t6");

    [Theory]
    [InlineData("sysfs", SourceKind.Sysfs, "/sys/bus/pci")]
    [InlineData("sysfs:/tmp/tree", SourceKind.Sysfs, "/tmp/tree")]
    [InlineData("lspci:-", SourceKind.Lspci, "-")]
    [InlineData("earlydump:kmsg", SourceKind.EarlyDump, "kmsg")]
    [InlineData("sim:m.json", SourceKind.Sim, "m.json")]
    [InlineData("early:/run/preconfig/early.pcfg", SourceKind.Early, "/run/preconfig/early.pcfg")]
    [InlineData("devmem:/tmp/region.bin@0x1000+1M", SourceKind.Store, "devmem:/tmp/region.bin@0x1000+1M")]
    [InlineData("initrd:a.cpio", SourceKind.Store, "initrd:a.cpio")]
    [InlineData("some/file", SourceKind.Path, "some/file")]
    [InlineData("C:odd", SourceKind.Path, "C:odd")]
    public void Parses_every_source_form(string text, SourceKind kind, string argument)
    {
        var spec = SourceSpec.Parse(text);
        Assert.Equal(kind, spec.Kind);
        Assert.Equal(argument, spec.Argument);
    }

    [Fact]
    public void Plain_paths_are_recognised_by_content()
    {
        string dir = HandoffTestData.TempDir();
        string blob = Path.Combine(dir, "a"), cpio = Path.Combine(dir, "b"), json = Path.Combine(dir, "c"), dump = Path.Combine(dir, "d");
        File.WriteAllBytes(blob, HandoffBlob.Write(HandoffTestData.Sample(2)));
        HandoffStore.Parse("initrd:" + cpio, Fs).Save(HandoffTestData.Sample(2));
        SimulatedMachine.FromDump(LspciDumpReader.ReadFile(Asus)).Save(json);
        File.Copy(Asus, dump);
        Assert.Equal(SourceKind.Store, SourceSpec.Parse(blob).Resolve(Fs).Kind);
        Assert.Equal("initrd:" + cpio, SourceSpec.Parse(cpio).Resolve(Fs).Argument);
        Assert.Equal(SourceKind.Sim, SourceSpec.Parse(json).Resolve(Fs).Kind);
        Assert.Equal(SourceKind.Lspci, SourceSpec.Parse(dump).Resolve(Fs).Kind);
        Assert.Throws<UnsupportedSourceException>(() => SourceSpec.Parse(dir).Resolve(Fs));
        var missing = Assert.Throws<FileNotFoundException>(() => SourceSpec.Parse(Path.Combine(dir, "none")).Resolve(Fs));
        Assert.Contains("none: no such file", missing.Message);

        foreach (var path in new[] { blob, cpio, json, dump })
        {
            var loaded = InputLoader.Load(path, Fs);
            Assert.NotEmpty(loaded.Snapshot.Devices);
        }
    }

    [Fact]
    public void Lspci_source_keeps_good_devices_and_warns_with_file_and_line()
    {
        string path = Path.Combine(HandoffTestData.TempDir(), "dump.txt");
        File.WriteAllText(path, "00:00.0 Host bridge\n00: 86 80 37 12 07 00 00 00 02 00 00 06 00 00 00 00\n\n00:01.0 Bad\n00: 86 80 37 12 07 00 00 00 02 00 00 06 00 00 00 00\n10: zz\n\n");
        var capture = new LspciSource(Fs, path).Capture();
        Assert.Single(capture.Devices);
        Assert.Contains(capture.Warnings, w => w.StartsWith(path + ":6:"));
        Assert.Equal(Pristineness.Unknown, capture.Devices[0].Pristineness);
        Assert.Equal("lspci:" + path, capture.Devices[0].Origins[0].Source);

        File.WriteAllText(path, "nothing here\n");
        var e = Assert.Throws<DumpFormatException>(() => new LspciSource(Fs, path).Capture());
        Assert.StartsWith(path + ":1:", e.Message);
    }

    [Fact]
    public void Sim_source_reads_every_function_with_what_the_machine_knows()
    {
        var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(Asus));
        machine.Functions.First().Driver = "pcieport";
        string path = Path.Combine(HandoffTestData.TempDir(), "m.json");
        machine.Save(path);
        var loaded = InputLoader.Load("sim:" + path, Fs);
        var s = loaded.Snapshot;
        Assert.Equal(machine.Count, s.Devices.Count);
        Assert.Equal(["sim:" + path], s.Sources);
        Assert.Equal("pcieport", s.Devices[0].Driver);
        Assert.Equal(Pristineness.DriverBound, s.Devices[0].Pristineness);
        Assert.Equal(Pristineness.Undriven, s.Devices[1].Pristineness);
        // What a capture keeps (PciAccessSource.Kept): the machine offers reset methods, the snapshot holds none;
        // resources where a BAR or the ROM is set, and only there.
        Assert.Contains(machine.Functions, f => f.ResetMethods.Count > 0);
        Assert.All(s.Devices, d => Assert.Empty(d.ResetMethods));
        Assert.Contains(s.Devices, d => d.Resources.Count > 0);
        Assert.All(s.Devices, d => Assert.Equal(Preconfig.ConfigSpace.Sysfs.SysfsResources.HasBarOrRom(d.Config), d.Resources.Count > 0));
        foreach (var d in s.Devices) Assert.Equal(machine[d.Address].Space.Snapshot(), d.Config);
    }

    [Fact]
    public void Sysfs_and_earlydump_forms_open_their_sources_and_several_sources_merge()
    {
        Assert.IsType<Preconfig.Capture.Sysfs.SysfsSource>(SnapshotSources.Open("sysfs", Fs));
        Assert.IsType<Preconfig.Capture.Earlydump.EarlydumpSource>(SnapshotSources.Open("earlydump:kmsg", Fs));
        var two = new[] { SnapshotSources.Open("lspci:" + Asus, Fs), SnapshotSources.Open("lspci:" + Asus, Fs) };
        var merged = SnapshotSources.Take(two, out _);
        Assert.Equal(53, merged.Devices.Count);
        Assert.Equal(["lspci:" + Asus, "lspci:" + Asus], merged.Sources);
    }

    [Fact]
    public void Stores_load_as_stored_with_their_own_metadata()
    {
        string dir = HandoffTestData.TempDir();
        var original = HandoffTestData.Sample(9, seed: 4);
        string mem = Path.Combine(dir, "mem");
        File.WriteAllBytes(mem, new byte[1 << 20]);
        foreach (string spec in new[] { "file:" + Path.Combine(dir, "f.pcfg"), $"devmem:{mem}@0x2000+64K", "initrd:" + Path.Combine(dir, "i.cpio") })
        {
            HandoffStore.Parse(spec, Fs).Save(original);
            var loaded = InputLoader.Load(spec, Fs);
            HandoffTestData.AssertSame(original, loaded.Snapshot);
            Assert.NotNull(loaded.Stored);
        }
        var early = InputLoader.Load("early:" + Path.Combine(dir, "f.pcfg"), Fs);
        Assert.Equal("host-4", early.Snapshot.HostName);
    }
}
