namespace Preconfig.ConfigSpace.Specification;

/// <summary>What a table entry describes: a header layout, a capability or an extended capability.</summary>
public enum StructureKind : byte { Header, Capability, ExtendedCapability }

/// <summary>
/// A structure of the table: header type 0/1/2 (<see cref="Id"/> = the type), a capability (its ID, PCI_CAP_ID_*) or an
/// extended capability (its ID, PCI_EXT_CAP_ID_*). Written "header0", "cap 0x10", "ecap 0x0001".
/// </summary>
public readonly record struct StructureKey(StructureKind Kind, int Id)
{
    public static StructureKey Header(int type) => new(StructureKind.Header, type);
    public static StructureKey Capability(int id) => new(StructureKind.Capability, id);
    public static StructureKey Extended(int id) => new(StructureKind.ExtendedCapability, id);

    public override string ToString() => Kind switch
    {
        StructureKind.Header => $"header{Id}",
        StructureKind.Capability => $"cap 0x{Id:x2}",
        _ => $"ecap 0x{Id:x4}",
    };

    /// <summary>Reads "header0", "cap 0x10", "cap:0x10", "ecap 0x1", "ecap:1" (hex).</summary>
    public static bool TryParse(string text, out StructureKey key)
    {
        key = default;
        string t = text.Trim().ToLowerInvariant().Replace(':', ' ');
        if (t.StartsWith("header", StringComparison.Ordinal) && int.TryParse(t[6..].Trim(), out int type) && type is >= 0 and <= 2)
        {
            key = Header(type);
            return true;
        }
        var parts = t.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) return false;
        string hex = parts[1].StartsWith("0x", StringComparison.Ordinal) ? parts[1][2..] : parts[1];
        if (!int.TryParse(hex, System.Globalization.NumberStyles.HexNumber, null, out int id)) return false;
        switch (parts[0])
        {
            case "cap" when id <= 0xff: key = Capability(id); return true;
            case "ecap" when id <= 0xffff: key = Extended(id); return true;
            default: return false;
        }
    }
}

/// <summary>A rule of the specification that depends on the function: its own capability bits, port type, function number.</summary>
public sealed class Condition(string text, Func<RegisterContext, bool> test)
{
    /// <summary>The rule in words, as the export prints it ("LnkCap Clock Power Management (bit 18) set").</summary>
    public string Text { get; } = text;

    public bool Holds(RegisterContext context) => test(context);

    public static Condition operator !(Condition c) => new($"not ({c.Text})", x => !c.Holds(x));
    public static Condition operator &(Condition a, Condition b) => new($"{a.Text} and {b.Text}", x => a.Holds(x) && b.Holds(x));
    public static Condition operator |(Condition a, Condition b) => new($"{a.Text} or {b.Text}", x => a.Holds(x) || b.Holds(x));

    public override string ToString() => Text;
}

/// <summary>The values software may write into a field (the specification's "must not program ..." rules).</summary>
public sealed class ValueRule(string text, Func<RegisterContext, uint, bool> test)
{
    public string Text { get; } = text;
    public bool Allows(RegisterContext context, uint fieldValue) => test(context, fieldValue);
    public override string ToString() => Text;
}

/// <summary>One alternative of a field: its attribute when <see cref="When"/> holds (null: always).</summary>
public sealed record FieldCase(Condition? When, BitAttribute Attribute);

/// <summary>
/// A field of a register: bits <see cref="Low"/>..Low+Width-1, its attribute (which may depend on the function), the
/// section of the specification that defines it, and what the table knows beyond the attribute.
/// </summary>
public sealed class FieldSpec(int low, int width, string name, BitAttribute attribute, string citation)
{
    private readonly List<FieldCase> _cases = [];

    public int Low { get; } = low;
    public int Width { get; } = width;
    public string Name { get; } = name;
    public string Citation { get; } = citation;
    /// <summary>The attribute when no <see cref="Cases"/> entry holds.</summary>
    public BitAttribute Attribute { get; } = attribute;
    /// <summary>Alternatives tried in order before <see cref="Attribute"/>.</summary>
    public IReadOnlyList<FieldCase> Cases => _cases;
    /// <summary>The field's value after a reset, where the specification gives one other than 0.</summary>
    public uint Default { get; private set; }
    /// <summary>A function that does not implement the feature may hardwire the field to 0 (so a device or QEMU may
    /// show it read-only where this table says RW).</summary>
    public bool Optional { get; private set; }
    /// <summary>An address or bus number assignment (BAR, ROM, bridge window, bus number): preinit never moves it.</summary>
    public bool Resource { get; private set; }
    /// <summary>Setting it resets other functions (Secondary Bus Reset, CardBus Reset): a level, not state a crash leaves.</summary>
    public bool ResetTrigger { get; private set; }
    /// <summary>Values software may write; null: any.</summary>
    public ValueRule? Legal { get; private set; }
    /// <summary>Hardware discards a write of a value <see cref="Legal"/> does not allow (PM PowerState, PM 1.2 §3.2.4).</summary>
    public bool DiscardsIllegal { get; private set; }
    public string? Note { get; private set; }

    public uint Mask => (Width >= 32 ? 0xffffffffu : (1u << Width) - 1) << Low;

    /// <summary>The attribute the field has on the function <paramref name="context"/> describes.</summary>
    public BitAttribute Resolve(RegisterContext context)
    {
        foreach (var c in _cases)
            if (c.When is null || c.When.Holds(context)) return c.Attribute;
        return Attribute;
    }

    /// <summary>When <paramref name="when"/> holds (and no earlier case did), the field is <paramref name="attribute"/>.</summary>
    public FieldSpec Except(Condition when, BitAttribute attribute)
    {
        _cases.Add(new FieldCase(when, attribute));
        return this;
    }

    public FieldSpec ResetsTo(uint value) { Default = value; return this; }
    public FieldSpec IsOptional() { Optional = true; return this; }
    public FieldSpec IsResource() { Resource = true; return this; }
    public FieldSpec IsResetTrigger() { ResetTrigger = true; return this; }
    public FieldSpec Allows(ValueRule rule, bool hardwareDiscardsOthers = false) { Legal = rule; DiscardsIllegal = hardwareDiscardsOthers; return this; }
    public FieldSpec Noting(string note) { Note = note; return this; }
}

/// <summary>Bits of a register that exist on this function (a BAR's address bits above its size, MSI mask bits per
/// vector); the others read as <see cref="Outside"/>.</summary>
public sealed record ImplementedBits(string Text, Func<RegisterContext, uint> Mask, BitAttribute Outside);

/// <summary>
/// A register: offset within its structure, width in bytes, name (pciutils' header.h / lspci wording), its fields
/// (bits no field names are RsvdP), and when it exists.
/// </summary>
public sealed class RegisterSpec(int offset, int width, string name, string citation, IReadOnlyList<FieldSpec> fields)
{
    public int Offset { get; } = offset;
    public int Width { get; } = width;
    public string Name { get; } = name;
    public string Citation { get; } = citation;
    public IReadOnlyList<FieldSpec> Fields { get; } = fields;
    /// <summary>The register exists only where this holds (slot registers, root registers, a 64-bit MSI's upper address).</summary>
    public Condition? Present { get; private set; }
    /// <summary>Where this holds, every bit is reserved (link registers of a Root Complex Integrated Endpoint).</summary>
    public Condition? ReservedWhen { get; private set; }
    public ImplementedBits? Implemented { get; private set; }

    public RegisterSpec OnlyWhen(Condition c) { Present = Present is null ? c : Present & c; return this; }
    public RegisterSpec ReservedIf(Condition c) { ReservedWhen = c; return this; }
    public RegisterSpec ImplementedAs(ImplementedBits bits) { Implemented = bits; return this; }

    /// <summary>The field holding bit <paramref name="bit"/>, if any.</summary>
    public FieldSpec? FieldAt(int bit) => Fields.FirstOrDefault(f => bit >= f.Low && bit < f.Low + f.Width);
}

/// <summary>A header type or capability with its registers, in offset order.</summary>
public sealed record StructureSpec(StructureKey Key, string Name, string Citation, IReadOnlyList<RegisterSpec> Registers)
{
    /// <summary>What the table says about bytes of this structure no register covers.</summary>
    public string? Note { get; init; }
}
