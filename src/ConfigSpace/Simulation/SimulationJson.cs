using System.Text.Json.Serialization;

namespace Preconfig.ConfigSpace.Simulation;

// The machine file's shape. Config is a hex string of the current bytes; masks are derived, never stored.

internal sealed class MachineFile
{
    public string Format { get; set; } = "";
    public int Version { get; set; }
    public string? Description { get; set; }
    public List<FunctionEntry> Functions { get; set; } = [];
}

internal sealed class FunctionEntry
{
    public string Address { get; set; } = "";
    public string? Config { get; set; }
    public List<BarEntry>? Bars { get; set; }
    public string? Driver { get; set; }
    public List<string>? ResetMethods { get; set; }
    public Dictionary<string, ResetBehavior>? ResetBehaviors { get; set; }
    public bool? BootVga { get; set; }
    public FaultsEntry? Faults { get; set; }
}

internal sealed class BarEntry
{
    public int Index { get; set; }
    public BarKind Kind { get; set; }
    public ulong Size { get; set; }
    public bool Prefetchable { get; set; }
}

internal sealed class FaultsEntry
{
    public List<int>? StuckDwords { get; set; }
    public int RetriesNeeded { get; set; }
    public bool Vanished { get; set; }
    public int VanishAfterWrites { get; set; } = -1;
    public bool IoError { get; set; }

    public SimulatedFaults ToFaults() => new()
    {
        StuckDwords = [.. StuckDwords ?? []],
        RetriesNeeded = RetriesNeeded,
        Vanished = Vanished,
        VanishAfterWrites = VanishAfterWrites,
        IoError = IoError,
    };

    public static FaultsEntry From(SimulatedFaults f) => new()
    {
        StuckDwords = f.StuckDwords.Count > 0 ? [.. f.StuckDwords.Order()] : null,
        RetriesNeeded = f.RetriesNeeded,
        Vanished = f.Vanished,
        VanishAfterWrites = f.VanishAfterWrites,
        IoError = f.IoError,
    };
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(MachineFile))]
internal sealed partial class SimulationJsonContext : JsonSerializerContext;
