using System.Text.Json;
using Preconfig.Inspection;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Inspection;

/// <summary>The verbs as a user runs them (the preconfig next to the tests, in its own process): exit codes and output shapes.</summary>
public class InspectionVerbTests
{
    private static (int Code, string Out, string Err) Preconfig(params string[] args)
    {
        var r = ExternalTool.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "preconfig.dll"), .. args]);
        return (r.ExitCode, r.Stdout, r.Stderr);
    }

    private static string Dump(string name) => "lspci:" + InspectionTestData.PathOf(name);

    [Fact]
    public void DiffExitsZeroWhenSameOneWhenDifferentTwoOnBadInput()
    {
        string dir = Directory.CreateTempSubdirectory("preconfig-diff-").FullName;
        try
        {
            var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(InspectionTestData.PathOf("pciutils-tests/cap-aer-root")));
            string boot = Path.Combine(dir, "boot.json"), dirty = Path.Combine(dir, "dirty.json");
            machine.Save(boot);
            InspectionTestData.DirtyLikeAKernel(machine);
            machine.Save(dirty);

            var same = Preconfig("diff", $"sim:{boot}", boot);
            Assert.True(same.Code == 0, same.Err);
            Assert.Contains("no differences", same.Out);

            var differs = Preconfig("diff", $"sim:{boot}", $"sim:{dirty}", "--json");
            Assert.True(differs.Code == 1, differs.Err);
            using var doc = JsonDocument.Parse(differs.Out);
            var printed = doc.RootElement.GetProperty("changes").EnumerateArray()
                .Select(c => new FieldChange(PciAddress.Parse(c.GetProperty("address").GetString()!), c.GetProperty("field").GetString()!,
                    c.GetProperty("from").GetString()!, c.GetProperty("to").GetString()!)).ToList();
            var expected = SnapshotDiff.Compare(InspectionTestData.Take(SimulatedMachine.Load(boot), "a"), InspectionTestData.Take(SimulatedMachine.Load(dirty), "b"));
            Assert.NotEmpty(printed);
            Assert.Equal(expected.Changes, printed);
            Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("added").ValueKind);
            Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("removed").ValueKind);

            string missing = Path.Combine(dir, "missing");
            var bad = Preconfig("diff", $"sim:{boot}", $"lspci:{missing}");
            Assert.Equal(2, bad.Code);
            Assert.Contains(missing, bad.Err);
            Assert.Single(bad.Err.Trim().Split('\n'));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void InspectJsonIsAnArrayOfDevicesWithCapabilities()
    {
        var r = Preconfig("inspect", Dump("pciutils-tests/cap-aer-root"), "--json");
        Assert.True(r.Code == 0, r.Err);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.ValueKind);
        var port = doc.RootElement.EnumerateArray().First(d => d.GetProperty("address").GetString() == "0000:00:02.0");
        var caps = port.GetProperty("capabilities").EnumerateArray()
            .Select(c => (c.GetProperty("offset").GetInt32(), c.GetProperty("id").GetInt32(), c.GetProperty("extended").GetBoolean())).ToList();
        Assert.Contains((0x90, 0x10, false), caps);    // PCI Express
        Assert.Contains((0x148, 0x01, true), caps);    // AER
    }

    [Fact]
    public void InspectTableAndDeviceViewAndTheirErrors()
    {
        var table = Preconfig("inspect", Dump("pciutils-tests/tree-asus-p6t6"));
        Assert.True(table.Code == 0, table.Err);
        var lines = table.Out.TrimEnd().Split('\n');
        Assert.StartsWith("ADDRESS", lines[0]);
        Assert.Equal(54, lines.Length);   // the heading and 53 functions
        Assert.Contains(lines, l => l.StartsWith("0000:00:1c.0 ", StringComparison.Ordinal) && l.Contains("Express,MSI,SSVID,PM,VC,RCLink"));

        var device = Preconfig("inspect", Dump("pciutils-tests/cap-aer-root"), "--device", "00:02.0");
        Assert.True(device.Code == 0, device.Err);
        Assert.Contains("\t\tDevCtl: CorrErr- NonFatalErr- FatalErr- UnsupReq- RlxdOrd- MaxPayload=256", device.Out);

        var json = Preconfig("inspect", Dump("pciutils-tests/cap-aer-root"), "--device", "00:02.0", "--json");
        Assert.True(json.Code == 0, json.Err);
        using (var doc = JsonDocument.Parse(json.Out))
        {
            var fields = Assert.Single(doc.RootElement.EnumerateArray()).GetProperty("fields").EnumerateArray().ToList();
            var readRq = fields.Single(f => f.GetProperty("name").GetString() == "PCIe.DevCtl.MaxReadReq");
            Assert.Equal(0x98, readRq.GetProperty("offset").GetInt32());   // Express at 0x90 + DevCtl 0x08
            Assert.Equal("128", readRq.GetProperty("value").GetString());
        }

        var noSuch = Preconfig("inspect", Dump("pciutils-tests/cap-aer-root"), "--device", "00:1f.7");
        Assert.Equal(2, noSuch.Code);
        Assert.Contains("no function 0000:00:1f.7", noSuch.Err);
        var badAddress = Preconfig("inspect", Dump("pciutils-tests/cap-aer-root"), "--device", "zz");
        Assert.Equal(2, badAddress.Code);
    }

    [Fact]
    public void ABlobReadsLikeTheDumpItWasCapturedFrom()
    {
        string dir = Directory.CreateTempSubdirectory("preconfig-blob-").FullName;
        try
        {
            string dump = Dump("pciutils-tests/tree-asus-p6t6"), blob = Path.Combine(dir, "boot.pcfg");
            var capture = Preconfig("capture", "--source", dump, "--out", blob);
            Assert.True(capture.Code == 0, capture.Err);

            var same = Preconfig("diff", blob, dump);
            Assert.True(same.Code == 0, same.Out + same.Err);

            var fromBlob = Preconfig("inspect", blob, "--json");
            var fromDump = Preconfig("inspect", dump, "--json");
            Assert.True(fromBlob.Code == 0, fromBlob.Err);
            static string Caps(string json)
            {
                using var doc = JsonDocument.Parse(json);
                return string.Join("\n", doc.RootElement.EnumerateArray().Select(d => d.GetProperty("address").GetString() + " " + d.GetProperty("capabilities")));
            }
            Assert.Equal(Caps(fromDump.Out), Caps(fromBlob.Out));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ASysfsTreeInspectsLikeLspciReadsIt()
    {
        // The simulated machine written as a sysfs-shaped tree; lspci reads the same tree with its linux-sysfs backend.
        string dir = Directory.CreateTempSubdirectory("preconfig-sysfs-").FullName;
        try
        {
            var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(InspectionTestData.PathOf("pciutils-tests/cap-dvsec-cxl")));
            SysfsTreeWriter.Write(machine, new System.IO.Abstractions.FileSystem(), dir);
            var r = Preconfig("inspect", $"sysfs:{dir}", "--json");
            Assert.True(r.Code == 0, r.Err);
            using var doc = JsonDocument.Parse(r.Out);
            var mine = doc.RootElement.EnumerateArray().ToDictionary(d => d.GetProperty("address").GetString()!,
                d => d.GetProperty("capabilities").EnumerateArray().Select(c => (c.GetProperty("offset").GetInt32(), c.GetProperty("extended").GetBoolean())).ToList());
            var lspci = LspciCapabilityInteropTests.LspciCapabilities(
                InspectionTestData.Lspci("-A", "linux-sysfs", "-O", $"sysfs.path={dir}", "-vvv", "-D"));
            Assert.Equal(lspci.Keys.Order(), mine.Keys.Order());
            foreach (var (address, caps) in lspci) Assert.Equal(caps, mine[address]);
            Assert.Contains(mine.Values, caps => caps.Any(c => c.Item2));   // extended capabilities were read too
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
