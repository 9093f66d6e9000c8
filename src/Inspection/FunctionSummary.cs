using System.Globalization;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;

namespace Preconfig.Inspection;

/// <summary>A BAR or the expansion ROM as decoded from config bytes; the size only when the capture had sysfs resources.</summary>
public sealed record BarInfo(int Index, string Kind, ulong Address, bool Prefetchable, ulong? Size, bool RomEnabled = false)
{
    public const int RomIndex = 6;   // sysfs resource line 6 is the ROM

    public string Label => Index == RomIndex ? "ROM" : string.Create(CultureInfo.InvariantCulture, $"BAR{Index}");

    /// <summary>lspci's words: <c>Memory at f7e00000 (64-bit, prefetchable) [size=16K]</c>.</summary>
    public string Describe()
    {
        string size = Size is { } s ? $" [size={FormatSize(s)}]" : "";
        return Kind switch
        {
            "io" => $"I/O ports at {Address:x}{size}",
            "rom" => $"Expansion ROM at {Address:x} [{(RomEnabled ? "enabled" : "disabled")}]{size}",
            _ => $"Memory at {Address:x} ({(Kind == "mem64" ? "64-bit" : Kind == "mem1M" ? "low-1M" : "32-bit")}, {(Prefetchable ? "prefetchable" : "non-prefetchable")}){size}",
        };
    }

    /// <summary>Sizes as lspci prints them: 16K, 256M, 4G.</summary>
    public static string FormatSize(ulong size)
    {
        string[] units = ["", "K", "M", "G", "T", "P"];
        int u = 0;
        while (u < units.Length - 1 && size >= 1024 && size % 1024 == 0) { size /= 1024; u++; }
        return size.ToString(CultureInfo.InvariantCulture) + units[u];
    }
}

/// <summary>What <c>inspect</c> shows of one function: identity with names, class, driver, BARs, capabilities, source.</summary>
public sealed class FunctionSummary
{
    public required PciAddress Address { get; init; }
    public required DeviceRecord Record { get; init; }
    public required CapabilityWalker.Result Capabilities { get; init; }
    public required IReadOnlyList<BarInfo> Bars { get; init; }
    public string? VendorName { get; init; }
    public string? DeviceName { get; init; }
    public string? ClassName { get; init; }
    public required string Source { get; init; }

    public ushort VendorId => Record.VendorId;
    public ushort DeviceId => Record.DeviceId;
    public uint ClassCode => Record.ClassCode;
    public string? Driver => Record.Driver;

    public string IdText => $"{VendorId:x4}:{DeviceId:x4}";
    public string VendorText => VendorName ?? $"{VendorId:x4}";
    public string DeviceText => DeviceName ?? $"Device {DeviceId:x4}";
    public string ClassText => ClassName ?? $"Class {ClassCode >> 8:x4}";

    public static IReadOnlyList<FunctionSummary> Build(Snapshot snapshot, PciIds ids)
    {
        var list = new List<FunctionSummary>(snapshot.Devices.Count);
        string fallbackSource = snapshot.Sources.Count > 0 ? string.Join(",", snapshot.Sources) : "";
        foreach (var d in snapshot.Devices) list.Add(Build(d, ids, fallbackSource));
        return list;
    }

    public static FunctionSummary Build(DeviceRecord record, PciIds ids, string fallbackSource) => new()
    {
        Address = record.Address,
        Record = record,
        Capabilities = CapabilityWalker.Walk(record.Config),
        Bars = DecodeBars(record),
        VendorName = ids.Vendor(record.VendorId),
        DeviceName = ids.Device(record.VendorId, record.DeviceId),
        ClassName = ids.Class(record.ClassCode),
        Source = record.Origins.Count > 0 ? string.Join(",", record.Origins.Select(o => o.Source).Distinct()) : fallbackSource,
    };

    /// <summary>BARs from the header (a 64-bit BAR takes two slots), then the ROM; sizes from sysfs resources when known.</summary>
    public static IReadOnlyList<BarInfo> DecodeBars(DeviceRecord record)
    {
        var cfg = record.Config;
        var kind = ConfigBytes.HeaderKind(cfg);
        int count = kind switch { HeaderType.Normal => Type0.BarCount, HeaderType.Bridge => Type1.BarCount, _ => 0 };
        int rom = kind switch { HeaderType.Normal => Type0.RomAddress, HeaderType.Bridge => Type1.RomAddress, _ => -1 };
        var bars = new List<BarInfo>();
        for (int i = 0; i < count; i++)
        {
            int at = Type0.BaseAddress0 + 4 * i;
            uint raw = ConfigBytes.U32(cfg, at);
            ulong? size = ResourceSize(record, i);
            if ((raw & BaseAddress.SpaceIo) != 0)
            {
                if ((raw & BaseAddress.IoMask) != 0 || size is not null)
                    bars.Add(new BarInfo(i, "io", raw & BaseAddress.IoMask, false, size));
                continue;
            }
            uint type = raw & BaseAddress.MemTypeMask;
            ulong address = raw & BaseAddress.MemMask;
            int index = i;
            if (type == BaseAddress.MemType64 && i + 1 < count)
                address |= (ulong)ConfigBytes.U32(cfg, at + 4) << 32;
            if (address != 0 || size is not null)
                bars.Add(new BarInfo(index, type == BaseAddress.MemType64 ? "mem64" : type == BaseAddress.MemType1M ? "mem1M" : "mem32",
                    address, (raw & BaseAddress.MemPrefetch) != 0, size));
            if (type == BaseAddress.MemType64) i++;
        }
        if (rom >= 0)
        {
            uint raw = ConfigBytes.U32(cfg, rom);
            ulong? size = ResourceSize(record, BarInfo.RomIndex);
            if ((raw & BaseAddress.RomMask) != 0 || size is not null)
                bars.Add(new BarInfo(BarInfo.RomIndex, "rom", raw & BaseAddress.RomMask, false, size, (raw & BaseAddress.RomEnable) != 0));
        }
        return bars;
    }

    private static ulong? ResourceSize(DeviceRecord record, int index)
    {
        foreach (var r in record.Resources)
            if (r.Index == index && r.Size > 0) return r.Size;
        return null;
    }
}
