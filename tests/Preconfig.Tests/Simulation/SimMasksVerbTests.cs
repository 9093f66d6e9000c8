using System.Text.Json;
using Preconfig.ConfigSpace.Specification;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Simulation;

/// <summary><c>preconfig sim masks</c>, run as a user (and the QEMU probe) runs it: the built binary, JSON on stdout.</summary>
public sealed class SimMasksVerbTests
{
    private static readonly string Dpc = Path.Combine(RepoPaths.RealDumps, "pciutils-tests", "cap-dpc");

    [Fact]
    public void The_table_is_printed_with_attributes_conditions_and_citations()
    {
        var r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "masks");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(SpecTableJson.TableFormat, doc.RootElement.GetProperty("format").GetString());
        var express = doc.RootElement.GetProperty("structures").EnumerateArray().Single(s => s.GetProperty("key").GetString() == "cap 0x10");
        var lnkCtl = express.GetProperty("registers").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "LnkCtl");
        Assert.Equal("0x10", lnkCtl.GetProperty("offset").GetString());
        var disable = lnkCtl.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "Link Disable");
        Assert.Equal("RsvdP", disable.GetProperty("attribute").GetString());
        var when = disable.GetProperty("cases")[0];
        Assert.Equal(("Downstream Port", "RW"), (when.GetProperty("when").GetString(), when.GetProperty("attribute").GetString()));
        Assert.Equal("PCIe 4.0 §7.5.3.7", disable.GetProperty("citation").GetString());
    }

    [Fact]
    public void A_dumps_functions_get_the_masks_the_simulator_uses()
    {
        var r = ExternalTool.Run(ExternalTool.Preconfig, "sim", "masks", $"lspci:{Dpc}", "--device", "05:01.0");
        Assert.True(r.ExitCode == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var fn = Assert.Single(doc.RootElement.GetProperty("functions").EnumerateArray());
        Assert.Equal("0000:05:01.0", fn.GetProperty("address").GetString());
        var dump = LspciDumpReader.ReadFile(Dpc).Functions.Single(f => f.Address == PciAddress.Parse("0000:05:01.0"));
        var expected = SpecTable.Resolve(dump.Config, dump.Address);
        var registers = fn.GetProperty("registers").EnumerateArray().ToList();
        Assert.Equal(expected.Registers.Count, registers.Count);
        foreach (var (json, reg) in registers.Zip(expected.Registers))
        {
            Assert.Equal($"0x{reg.Offset:x}", json.GetProperty("at").GetString());
            Assert.Equal(reg.Bits.Select(b => b.ToString()), json.GetProperty("bits").EnumerateArray().Select(b => b.GetString()));
            if (reg.Width <= 4) Assert.Equal($"0x{reg.Writable:x}", json.GetProperty("writable").GetString());
        }
        var sltCtl = registers.Single(x => x.GetProperty("name").GetString() == "SltCtl");
        // SltCap: power controller, attention and power indicators, hot-plug (no attention button, no MRL, no interlock);
        // LnkCap: DLL Link Active reporting; bit 13 (Auto Slot Power Limit Disable) has no capability bit.
        Assert.Equal("0x37fa", sltCtl.GetProperty("writable").GetString());
    }

    [Theory]
    [InlineData("--device", "05:01.0")]
    [InlineData("lspci:NOSUCHFILE")]
    public void Bad_usage_is_exit_2_with_one_line(params string[] args)
    {
        var list = new List<string> { "sim", "masks" };
        list.AddRange(args.Select(a => a == "lspci:NOSUCHFILE" ? $"lspci:{Path.Combine(Path.GetTempPath(), "no-such-dump")}" : a));
        var r = ExternalTool.Run(ExternalTool.Preconfig, [.. list]);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("preconfig: ", r.Stderr);
    }
}
