using System.Text.Json;
using System.Text.Json.Serialization;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Json;

/// <summary>The snapshot as JSON (<c>export --format json</c>): identity decoded from the config, the bytes as hex.</summary>
public sealed class SnapshotDocument
{
    public int Version { get; set; }
    public string CapturedAt { get; set; } = "";
    public string Host { get; set; } = "";
    public string Kernel { get; set; } = "";
    public string BootId { get; set; } = "";
    public string Tool { get; set; } = "";
    public List<string> Sources { get; set; } = [];
    public List<DeviceDocument> Devices { get; set; } = [];

    public static SnapshotDocument From(Snapshot s) => new()
    {
        Version = s.FormatVersion,
        CapturedAt = s.CapturedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        Host = s.HostName,
        Kernel = s.KernelRelease,
        BootId = s.BootId,
        Tool = s.ToolVersion,
        Sources = [.. s.Sources],
        Devices = [.. s.Devices.Select(DeviceDocument.From)],
    };

    public static string Serialize(Snapshot s) => JsonSerializer.Serialize(From(s), SnapshotJsonContext.Default.SnapshotDocument);
}

public sealed class DeviceDocument
{
    public string Address { get; set; } = "";
    public string Vendor { get; set; } = "";
    public string Device { get; set; } = "";
    public string SubsystemVendor { get; set; } = "";
    public string Subsystem { get; set; } = "";
    public string Class { get; set; } = "";
    public string Revision { get; set; } = "";
    public int HeaderType { get; set; }
    public int Length { get; set; }
    public string Config { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Driver { get; set; }
    public List<string> ResetMethods { get; set; } = [];
    public List<ResourceDocument> Resources { get; set; } = [];
    public List<OriginDocument> Origins { get; set; } = [];
    public bool Truncated { get; set; }

    public static DeviceDocument From(DeviceRecord d) => new()
    {
        Address = d.Address.ToString(),
        Vendor = d.VendorId.ToString("x4"),
        Device = d.DeviceId.ToString("x4"),
        SubsystemVendor = d.SubsystemVendorId.ToString("x4"),
        Subsystem = d.SubsystemId.ToString("x4"),
        Class = d.ClassCode.ToString("x6"),
        Revision = d.Revision.ToString("x2"),
        HeaderType = (int)d.HeaderType,
        Length = d.CapturedLength,
        Config = Convert.ToHexStringLower(d.Config),
        Driver = d.Driver,
        ResetMethods = [.. d.ResetMethods],
        Resources = [.. d.Resources.Select(r => new ResourceDocument { Index = r.Index, Start = $"0x{r.Start:x}", End = $"0x{r.End:x}", Flags = $"0x{r.Flags:x}" })],
        Origins = [.. d.Origins.Select(o => new OriginDocument { Offset = o.Offset, Length = o.Length, Source = o.Source, Pristineness = o.Pristineness.ToString() })],
        Truncated = d.Truncated,
    };
}

public sealed class ResourceDocument
{
    public int Index { get; set; }
    public string Start { get; set; } = "";
    public string End { get; set; } = "";
    public string Flags { get; set; } = "";
}

public sealed class OriginDocument
{
    public int Offset { get; set; }
    public int Length { get; set; }
    public string Source { get; set; } = "";
    public string Pristineness { get; set; } = "";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(SnapshotDocument))]
public sealed partial class SnapshotJsonContext : JsonSerializerContext;
