using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Preconfig.Tests.Simulation;

/// <summary>
/// Machine files are read and written by hand (MachineJson, no serializer in the initramfs edition). What they must
/// look like is in golden files written by hand from the format (docs/preinit.md "Simulator"; camelCase names, enums
/// by name, nulls left out, indented JSON with the default escaping), not from the code under test.
/// </summary>
public class MachineJsonTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Preconfig.Tests", "Golden", name));

    private static string Written(MachineFile file)
    {
        using var stream = new MemoryStream();
        MachineJson.Write(stream, file);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static MachineFile Read(string json) => MachineJson.Read(Encoding.UTF8.GetBytes(json))!;

    /// <summary>Every field set, the optional ones present and absent.</summary>
    private static MachineFile Everything() => new()
    {
        Format = SimulatedMachine.FormatName,
        Version = 1,
        Description = "every field <&> é",
        Functions =
        [
            new FunctionEntry
            {
                Address = "0000:03:00.0", Config = "8680d827", Driver = "e1000e", ResetMethods = ["flr", "bus"],
                Bars = [new BarEntry { Index = 0, Kind = BarKind.Memory64, Size = 1UL << 40, Prefetchable = true }, new BarEntry { Index = 6, Kind = BarKind.Rom, Size = 65536 }],
                ResetBehaviors = new() { ["pm"] = ResetBehavior.Noop, ["bus"] = ResetBehavior.ErrorButWorks },
                BootVga = true,
                Faults = new FaultsEntry { StuckDwords = [4, 0x3c], RetriesNeeded = 2, Vanished = true, VanishAfterWrites = 7, IoError = true },
            },
            new FunctionEntry { Address = "0000:00:00.0" },
            new FunctionEntry { Address = "0000:00:01.0", Bars = [], ResetMethods = [], Faults = new FaultsEntry() },
        ],
    };

    [Fact]
    public void Written_as_the_golden_file_says()
    {
        Assert.Equal(Golden("machine-every-field.json"), Written(Everything()));
        Assert.Equal(Golden("machine-empty.json"), Written(new MachineFile()));
    }

    [Fact]
    public void Read_as_the_golden_file_says()
    {
        // Read back, every field is the one the golden file holds: written again, the same bytes.
        Assert.Equal(Golden("machine-every-field.json"), Written(Read(Golden("machine-every-field.json"))));
        Assert.Equal(Golden("machine-empty.json"), Written(Read(Golden("machine-empty.json"))));
        // Every machine in the fixtures holds the same JSON after a read and a write (a generic JSON parser compares).
        foreach (string path in Directory.GetFiles(Path.Combine(RepoPaths.Fixtures, "machines"), "*.json"))
        {
            string json = File.ReadAllText(path);
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(Written(Read(json)))), path);
        }
    }

    [Fact]
    public void Unknown_names_enums_in_any_case_or_by_number_and_nulls_are_read()
    {
        var file = Read("""{"format": "f", "extra": {"a": [1, {"b": null}]}, "version": 1, "functions": [{"address": "0000:00:00.0", "zzz": 3,""" +
            """ "bars": [{"index": 2, "kind": "memory32", "size": 4096}, {"kind": 1}], "resetBehaviors": {"flr": "fails", "pm": 0},""" +
            """ "bootVga": null, "faults": null, "config": null, "driver": null, "resetMethods": null}]}""");
        Assert.Equal(("f", 1, (string?)null), (file.Format, file.Version, file.Description));
        var f = Assert.Single(file.Functions);
        Assert.Equal("0000:00:00.0", f.Address);
        Assert.Equal([(2, BarKind.Memory32, 4096UL, false), (0, BarKind.Memory32, 0UL, false)],
            f.Bars!.Select(b => (b.Index, b.Kind, b.Size, b.Prefetchable)));
        Assert.Equal(new Dictionary<string, ResetBehavior> { ["flr"] = ResetBehavior.Fails, ["pm"] = ResetBehavior.Works }, f.ResetBehaviors);
        Assert.Null(f.BootVga);
        Assert.Null(f.Faults);
        Assert.Null(f.Config);
        Assert.Null(f.Driver);
        Assert.Null(f.ResetMethods);
    }

    [Theory]
    [InlineData("{\"format\": 1}")]
    [InlineData("{\"version\": \"1\"}")]
    [InlineData("{\"functions\": [{\"bars\": [{\"kind\": \"Flash\"}]}]}")]
    [InlineData("{\"functions\": [{\"bars\": [{\"size\": -1}]}]}")]
    [InlineData("{\"functions\": [{\"bootVga\": 1}]}")]
    [InlineData("{\"functions\": {}}")]
    [InlineData("{\"version\": 1,}")]
    [InlineData("{} []")]
    [InlineData("")]
    public void What_is_not_a_machine_file_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => MachineJson.Read(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void A_machine_survives_save_and_load()
    {
        string dir = Directory.CreateTempSubdirectory("machine-json-").FullName;
        try
        {
            var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(Path.Combine(RepoPaths.RealDumps, "pciutils-tests", "tree-asus-p6t6")));
            string a = Path.Combine(dir, "a.json"), b = Path.Combine(dir, "b.json");
            machine.Save(a);
            SimulatedMachine.Load(a).Save(b);
            Assert.Equal(File.ReadAllText(a), File.ReadAllText(b));
        }
        finally { Directory.Delete(dir, true); }
    }
}
