using System.Text;
using System.Text.Json;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.Tests.Simulation;

/// <summary>
/// Machine files are read and written by hand (MachineJson, no serializer in the initramfs edition): they must read
/// as System.Text.Json's serializer reads them and be written byte for byte as it writes them.
/// </summary>
public class MachineJsonTests
{
    private static string Serialized(MachineFile file) => JsonSerializer.Serialize(file, SimulationJsonContext.Default.MachineFile);

    private static string Written(MachineFile file)
    {
        using var stream = new MemoryStream();
        MachineJson.Write(stream, file);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

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
    public void Written_as_the_serializer_writes_it()
    {
        Assert.Equal(Serialized(Everything()), Written(Everything()));
        Assert.Equal(Serialized(new MachineFile()), Written(new MachineFile()));
    }

    [Fact]
    public void Read_as_the_serializer_reads_it()
    {
        var files = new List<string> { Serialized(Everything()), Serialized(new MachineFile()) };
        foreach (string path in Directory.GetFiles(Path.Combine(RepoPaths.Fixtures, "machines"), "*.json")) files.Add(File.ReadAllText(path));
        // What the serializer accepts besides: unknown names (skipped, whatever their value), enums in any case or
        // by number, nulls for the optional fields.
        files.Add("""{"format": "f", "extra": {"a": [1, {"b": null}]}, "version": 1, "functions": [{"address": "0000:00:00.0", "zzz": 3,""" +
            """ "bars": [{"index": 2, "kind": "memory32", "size": 4096}, {"kind": 1}], "resetBehaviors": {"flr": "fails", "pm": 0},""" +
            """ "bootVga": null, "faults": null, "config": null, "driver": null, "resetMethods": null}]}""");
        foreach (string json in files)
        {
            var bySerializer = JsonSerializer.Deserialize(json, SimulationJsonContext.Default.MachineFile)!;
            var byHand = MachineJson.Read(Encoding.UTF8.GetBytes(json))!;
            Assert.Equal(Serialized(bySerializer), Serialized(byHand));
        }
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
    public void What_the_serializer_refuses_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize(json, SimulationJsonContext.Default.MachineFile));
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
