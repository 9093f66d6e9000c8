using System.Text.Json;
using System.Text.Json.Serialization;

namespace Preconfig.Inspection;

// The JSON shapes of cli-contract.md ("inspect --json", "diff --json"), written with source generation (Native AOT).

public sealed class InspectCapabilityJson
{
    public int Offset { get; set; }
    public int Id { get; set; }
    public bool Extended { get; set; }
    public string Name { get; set; } = "";
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Version { get; set; }
}

public sealed class InspectBarJson
{
    public int Index { get; set; }
    public string Kind { get; set; } = "";
    public string Address { get; set; } = "";
    public bool Prefetchable { get; set; }
    public ulong? Size { get; set; }
}

public sealed class InspectDeviceJson
{
    public string Address { get; set; } = "";
    /// <summary>Hex, as lspci -n prints ids.</summary>
    public string VendorId { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string Revision { get; set; } = "";
    public string ClassCode { get; set; } = "";
    public string? Vendor { get; set; }
    public string? Device { get; set; }
    public string? Class { get; set; }
    public int HeaderType { get; set; }
    public string? Driver { get; set; }
    public int ConfigLength { get; set; }
    public string Source { get; set; } = "";
    public List<InspectBarJson> Bars { get; set; } = [];
    public List<InspectCapabilityJson> Capabilities { get; set; } = [];
    /// <summary>With --device: every decoded field (name, absolute offset, value as diff prints it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public List<InspectFieldJson>? Fields { get; set; }
    /// <summary>Where a capability walk stopped early ("chain looped at 0x48"), empty when both lists were whole.</summary>
    public List<string> CapabilityProblems { get; set; } = [];
}

public sealed class InspectFieldJson
{
    public string Name { get; set; } = "";
    public int Offset { get; set; }
    public string Value { get; set; } = "";
}

public sealed class DiffChangeJson
{
    public string Address { get; set; } = "";
    public string Field { get; set; } = "";
    public string From { get; set; } = "";
    public string To { get; set; } = "";
}

public sealed class DiffJson
{
    public List<DiffChangeJson> Changes { get; set; } = [];
    public List<string> Added { get; set; } = [];
    public List<string> Removed { get; set; } = [];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<InspectDeviceJson>))]
[JsonSerializable(typeof(DiffJson))]
public sealed partial class InspectionJsonContext : JsonSerializerContext;

/// <summary>Builds and writes the JSON documents.</summary>
public static class InspectionJson
{
    public static List<InspectDeviceJson> Devices(IEnumerable<FunctionSummary> functions, bool withFields = false)
    {
        var list = new List<InspectDeviceJson>();
        foreach (var f in functions)
        {
            var d = new InspectDeviceJson
            {
                Address = f.Address.ToString(),
                VendorId = $"{f.VendorId:x4}",
                DeviceId = $"{f.DeviceId:x4}",
                Revision = $"{f.Record.Revision:x2}",
                ClassCode = $"{f.ClassCode:x6}",
                Vendor = f.VendorName,
                Device = f.DeviceName,
                Class = f.ClassName,
                HeaderType = (int)f.Record.HeaderType,
                Driver = f.Driver,
                ConfigLength = f.Record.CapturedLength,
                Source = f.Source,
            };
            foreach (var b in f.Bars)
                d.Bars.Add(new InspectBarJson { Index = b.Index, Kind = b.Kind, Address = $"0x{b.Address:x}", Prefetchable = b.Prefetchable, Size = b.Size });
            foreach (var c in f.Capabilities.Capabilities)
                d.Capabilities.Add(new InspectCapabilityJson
                {
                    Offset = c.Offset, Id = c.Id, Extended = c.Extended, Name = CapabilityNames.Short(c), Version = c.Extended ? c.Version : null,
                });
            d.CapabilityProblems.AddRange(InspectText.ChainProblems(f.Capabilities));
            if (withFields)
                d.Fields = [.. DeviceDecoder.Decode(f.Record.Config).Select(x => new InspectFieldJson { Name = x.Name, Offset = x.Offset, Value = x.Display })];
            list.Add(d);
        }
        return list;
    }

    public static DiffJson Diff(SnapshotDifference difference)
    {
        var doc = new DiffJson();
        foreach (var c in difference.Changes)
            doc.Changes.Add(new DiffChangeJson { Address = c.Address.ToString(), Field = c.Field, From = c.From, To = c.To });
        doc.Added.AddRange(difference.Added.Select(a => a.ToString()));
        doc.Removed.AddRange(difference.Removed.Select(a => a.ToString()));
        return doc;
    }

    public static string Serialize(List<InspectDeviceJson> devices) => JsonSerializer.Serialize(devices, InspectionJsonContext.Default.ListInspectDeviceJson);
    public static string Serialize(DiffJson diff) => JsonSerializer.Serialize(diff, InspectionJsonContext.Default.DiffJson);

    public static void Write(Stream stream, List<InspectDeviceJson> devices) =>
        JsonSerializer.Serialize(stream, devices, InspectionJsonContext.Default.ListInspectDeviceJson);
    public static void Write(Stream stream, DiffJson diff) =>
        JsonSerializer.Serialize(stream, diff, InspectionJsonContext.Default.DiffJson);
}
