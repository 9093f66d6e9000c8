using System.Globalization;
using System.Numerics;

namespace Preconfig.Inspection;

/// <summary>Where a register lives: the common header, one header type, or a capability (offsets relative to it).</summary>
public enum FieldScope
{
    Header,              // every header type, absolute offset
    Type0,               // PCI_HEADER_TYPE_NORMAL only
    Type1,               // PCI_HEADER_TYPE_BRIDGE only
    Type2,               // PCI_HEADER_TYPE_CARDBUS only
    Capability,          // relative to the first standard capability with CapabilityId
    ExtendedCapability,  // relative to the first extended capability with CapabilityId
}

/// <summary>How a field's value (its masked, shifted bits) reads. Every format is one-to-one so that two different
/// values never print the same: diff relies on it to explain every changed bit.</summary>
public enum FieldFormat
{
    Flag,         // one bit: 0 or 1 (lspci's Name+ / Name-)
    Number,       // decimal
    Hex,          // 0x and as many digits as the mask is wide
    Bytes128,     // 128 << v bytes (Max Payload, Max Read Request)
    Pow2,         // 1 << v (MSI vectors)
    Plus1,        // v + 1 (MSI-X table size)
    Times4,       // v * 4 (Cache Line Size in bytes)
    Width,        // x{v} (link width)
    Named,        // a name per value
    LtrLatency,   // LTR value/scale pair in ns
}

/// <summary>One named field: bits of one register.</summary>
public sealed class FieldDef
{
    internal FieldDef(string shortName, uint mask, FieldFormat format, string[]? names)
    {
        ShortName = shortName;
        Mask = mask;
        Format = format;
        Names = names;
        Shift = BitOperations.TrailingZeroCount(mask);
    }

    /// <summary>The name diff and scripts use: <c>Command.BusMaster</c>, <c>PCIe.DevCtl.MaxReadReq</c>, <c>BAR0</c>.</summary>
    public string Name { get; internal set; } = "";

    /// <summary>Dense index of <see cref="Name"/> in <see cref="FieldTable.Names"/> (fields sharing a name share it).</summary>
    public int NameIndex { get; internal set; }

    /// <summary>The part after the register's prefix (<c>BusMaster</c>), as it shows in a decoded line.</summary>
    public string ShortName { get; }
    public uint Mask { get; }
    public int Shift { get; }
    public FieldFormat Format { get; }
    public string[]? Names { get; }
    public RegisterDef Register { get; internal set; } = null!;

    /// <summary>True when the field is the whole register (BARs, AER masks): it renders as the register's value.</summary>
    public bool IsWholeRegister => ShortName.Length == 0;

    public uint Extract(uint registerValue) => (registerValue & Mask) >> Shift;

    public string Display(uint value) => Format switch
    {
        FieldFormat.Flag => value != 0 ? "1" : "0",
        FieldFormat.Number => value.ToString(CultureInfo.InvariantCulture),
        FieldFormat.Hex => "0x" + value.ToString("x" + HexDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        FieldFormat.Bytes128 => (128UL << (int)value).ToString(CultureInfo.InvariantCulture),
        FieldFormat.Pow2 => (1UL << (int)value).ToString(CultureInfo.InvariantCulture),
        FieldFormat.Plus1 => ((ulong)value + 1).ToString(CultureInfo.InvariantCulture),
        FieldFormat.Times4 => ((ulong)value * 4).ToString(CultureInfo.InvariantCulture),
        FieldFormat.Width => "x" + value.ToString(CultureInfo.InvariantCulture),
        FieldFormat.Named => Names is not null && value < Names.Length && Names[value].Length > 0
            ? Names[value] : $"unknown({value})",
        FieldFormat.LtrLatency => FormatLtr(value),
        _ => value.ToString(CultureInfo.InvariantCulture),
    };

    private int HexDigits => Math.Max(1, (BitOperations.PopCount(Mask >> Shift) + 3) / 4);

    // PCI_LTR_VALUE_MASK (bits 0..9) times 32^PCI_LTR_SCALE (bits 10..12) ns; scales 6 and 7 are reserved.
    private static string FormatLtr(uint value)
    {
        uint scale = (value >> 10) & 7;
        ulong ns = value & 0x3ff;
        if (scale > 5) return $"reserved({value & 0x1fff:x})";
        for (uint i = 0; i < scale; i++) ns *= 32;
        return $"{ns}ns" + ((value & 0x8000) != 0 ? " req" : "");
    }
}

/// <summary>
/// One register: its scope, offset (absolute for header scopes, relative to the capability otherwise), width, and
/// its fields. Registers with the same <see cref="Line"/> print on one decoded line, as lspci groups them.
/// </summary>
public sealed class RegisterDef
{
    internal RegisterDef(string name, string prefix, FieldScope scope, ushort capabilityId, int offset, int width,
        Func<DecodeContext, bool>? applies, string? line, FieldDef[] fields)
    {
        Name = name;
        Prefix = prefix;
        Scope = scope;
        CapabilityId = capabilityId;
        Offset = offset;
        Width = width;
        Applies = applies;
        Line = line ?? name;
        Fields = fields;
        foreach (var f in fields)
        {
            f.Register = this;
            f.Name = f.IsWholeRegister ? prefix : prefix + "." + f.ShortName;
        }
    }

    public string Name { get; }
    /// <summary>What field names start with (<c>MSI</c> for the MSI Message Control register).</summary>
    public string Prefix { get; }
    public FieldScope Scope { get; }
    public ushort CapabilityId { get; }
    public int Offset { get; }
    public int Width { get; }
    /// <summary>Whether the register exists on this function (a slot, a root port, capability version 2 ...).</summary>
    public Func<DecodeContext, bool>? Applies { get; }
    public string Line { get; }
    public IReadOnlyList<FieldDef> Fields { get; }

    /// <summary>The bits of the register that some field names.</summary>
    public uint NamedBits
    {
        get
        {
            uint m = 0;
            foreach (var f in Fields) m |= f.Mask;
            return m;
        }
    }
}
