
namespace Preconfig.Tests.Lspci;

/// <summary>
/// Every real dump against the real lspci (pciutils): same device count, and what we write (dump text, sysfs tree)
/// is read by lspci into exactly what lspci reads from the original.
/// </summary>
public sealed class LspciInteropTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("preconfig-interop-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    public static TheoryData<string> Dumps() => RealDumps.Names();

    // lspci -F FILE -xxxx of each original, run once for the theories that compare against it.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> OriginalXxxx = new();

    private static string LspciOfOriginal(string path) =>
        OriginalXxxx.GetOrAdd(path, p => new Lazy<string>(() => ExternalTool.Run(ExternalTool.Lspci, "-F", p, "-xxxx").Stdout)).Value;

    [Fact]
    public void The_fixtures_hold_the_real_dumps_and_say_where_each_comes_from()
    {
        Assert.True(RealDumps.All().Count() >= 50, "fixtures/real-dumps is missing dumps");
        string sources = File.ReadAllText(Path.Combine(RepoPaths.Fixtures, "SOURCES.md"));
        foreach (var folder in Directory.EnumerateDirectories(RealDumps.Folder))
        {
            string listed = "real-dumps/" + Path.GetFileName(folder) + "/";
            Assert.True(sources.Contains(listed, StringComparison.Ordinal), $"fixtures/SOURCES.md does not list {listed}");
        }
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void Parses_cleanly_with_the_device_count_lspci_lists(string name)
    {
        string path = RealDumps.PathOf(name);
        var dump = LspciDumpReader.ReadFile(path);
        Assert.Empty(dump.Problems);
        var lspci = ExternalTool.Run(ExternalTool.Lspci, "-F", path);
        Assert.Equal(0, lspci.ExitCode);
        int listed = lspci.Stdout.Split('\n').Count(l => l.Length > 0 && !char.IsWhiteSpace(l[0]));
        Assert.Equal(listed, dump.Functions.Count);
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void Sim_dump_text_read_by_lspci_gives_the_original_bytes(string name)
    {
        string path = RealDumps.PathOf(name);
        var original = LspciDumpReader.ReadFile(path);
        var machine = SimulatedMachine.FromDump(original);
        string ours = Path.Combine(_temp, "dump.txt");
        using (var w = new StreamWriter(ours) { NewLine = "\n" })
            foreach (var f in machine.Functions) LspciDumpWriter.Write(w, f.Address, f.Space.Snapshot());

        var fromOurs = ExternalTool.Run(ExternalTool.Lspci, "-F", ours, "-xxxx");
        Assert.Equal(0, fromOurs.ExitCode);
        Assert.Equal(LspciOfOriginal(path), fromOurs.Stdout);
        AssertSameBytes(original, LspciDumpReader.Parse(fromOurs.Stdout, "lspci -F ours"));
    }

    [Theory]
    [MemberData(nameof(Dumps))]
    public void Sim_sysfs_tree_read_by_lspci_linux_sysfs_gives_the_original_bytes(string name)
    {
        string path = RealDumps.PathOf(name);
        var original = LspciDumpReader.ReadFile(path);
        string tree = Path.Combine(_temp, "sys");
        SysfsTreeWriter.Write(SimulatedMachine.FromDump(original), new FileSystem(), tree);

        var fromTree = ExternalTool.Run(ExternalTool.Lspci, "-A", "linux-sysfs", "-O", "sysfs.path=" + tree, "-xxxx");
        Assert.Equal(0, fromTree.ExitCode);
        Assert.Equal(LspciOfOriginal(path), fromTree.Stdout);
        AssertSameBytes(original, LspciDumpReader.Parse(fromTree.Stdout, "lspci -A linux-sysfs"));

        // And our own sysfs backend reads the same tree back to the same bytes.
        using var pci = new SysfsPciAccess(new FileSystem(), tree, writable: false);
        Assert.Equal(original.Functions.Select(f => f.Address).Order(), pci.EnumerateFunctions());
        foreach (var f in original.Functions)
            Assert.Equal(f.Config, pci.Open(f.Address).ReadAll());
    }

    [Fact]
    public void The_pcics_text_dumps_hold_the_bytes_of_their_raw_config_files()
    {
        foreach (var id in new[] { "8086_2030", "8086_9dc8" })
        {
            var raw = File.ReadAllBytes(Path.Combine(RealDumps.Folder, "pcics", id + ".config.bin"));
            var dump = LspciDumpReader.ReadFile(Path.Combine(RealDumps.Folder, "pcics", id + ".lspci.txt"));
            Assert.Equal(raw, Assert.Single(dump.Functions).Config);
        }
    }

    [Fact]
    public void The_built_cli_makes_dumps_and_trees_that_lspci_reads_as_the_original()
    {
        foreach (var name in new[] { "pciutils-tests/tree-asus-p6t6", "hwloc-sysfs-64B/2pa-pcidomain32bits.lspci-x.txt", "openpower-talos2/lspci.log" })
        {
            string path = RealDumps.PathOf(name), machine = Path.Combine(_temp, "m.json"), text = Path.Combine(_temp, "d.txt"), tree = Path.Combine(_temp, "tree-" + Path.GetFileName(name));
            var made = ExternalTool.Run(ExternalTool.Preconfig, "sim", "new", "--from", "lspci:" + path, "--out", machine);
            Assert.True(made.ExitCode == 0, made.Stderr);
            var dumped = ExternalTool.Run(ExternalTool.Preconfig, "sim", "dump", machine);
            Assert.True(dumped.ExitCode == 0, dumped.Stderr);
            File.WriteAllText(text, dumped.Stdout);
            var written = ExternalTool.Run(ExternalTool.Preconfig, "sim", "sysfs", machine, tree);
            Assert.True(written.ExitCode == 0, written.Stderr);

            string expected = LspciOfOriginal(path);
            Assert.Equal(expected, ExternalTool.Run(ExternalTool.Lspci, "-F", text, "-xxxx").Stdout);
            Assert.Equal(expected, ExternalTool.Run(ExternalTool.Lspci, "-A", "linux-sysfs", "-O", "sysfs.path=" + tree, "-xxxx").Stdout);
        }
    }

    [Fact]
    public void The_cli_names_file_and_line_for_a_bad_dump_and_exits_2_when_nothing_is_usable()
    {
        string bad = Path.Combine(_temp, "bad.txt");
        File.WriteAllText(bad, "00:00.0 Host bridge\n00: 86 80 zz 00\n\n00:01.0 x\n00: 86 80 01 00\n\n");
        var r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "new", "--from", "lspci:" + bad, "--out", Path.Combine(_temp, "m.json"));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"{bad}:2: bad byte", r.Stderr);
        File.WriteAllText(bad, "nothing here\n");
        r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "new", "--from", "lspci:" + bad, "--out", Path.Combine(_temp, "m.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no device", r.Stderr);
        r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "dump", Path.Combine(_temp, "missing.json"));
        Assert.Equal(2, r.ExitCode);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    private static void AssertSameBytes(LspciDump expected, LspciDump actual)
    {
        Assert.Empty(actual.Problems);
        Assert.Equal(expected.Functions.Select(f => f.Address).Order(), actual.Functions.Select(f => f.Address).Order());
        var byAddress = actual.Functions.ToDictionary(f => f.Address);
        foreach (var f in expected.Functions)
            Assert.True(f.Config.AsSpan().SequenceEqual(byAddress[f.Address].Config), $"{f.Address}: bytes differ");
    }
}
