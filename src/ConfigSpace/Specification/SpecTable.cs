using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// The register attributes of the PCI, PCI-to-PCI bridge, PCI Power Management and PCI Express specifications, per
/// header type and per capability, each entry citing its section. The simulator's write rules come from here; the
/// replay planner (src/Preinit) never reads it, so a mistake shared by the two cannot pass a test. Structures not in
/// the table (VC, Resizable BAR, Multicast, PCI-X ...) are modelled read-only: <see cref="NotModelled"/>.
/// </summary>
public static class SpecTable
{
    private static readonly Dictionary<StructureKey, StructureSpec> ByKey = Build();

    private static Dictionary<StructureKey, StructureSpec> Build()
    {
        StructureSpec[] all =
        [
            HeaderTables.Type0(), HeaderTables.Type1(), HeaderTables.Type2(),
            CapabilityTables.PowerManagement(), CapabilityTables.Msi(), CapabilityTables.MsiX(), ExpressTable.Build(),
            CapabilityTables.VendorSpecific(), CapabilityTables.BridgeSubsystemVendor(),
            ExtendedTables.Aer(), ExtendedTables.Acs(), ExtendedTables.Ltr(), ExtendedTables.L1PmSubstates(), ExtendedTables.Dpc(),
            ExtendedTables.Ptm(), ExtendedTables.Ari(), ExtendedTables.SrIov(), ExtendedTables.Ats(), ExtendedTables.Pri(),
            ExtendedTables.Pasid(), ExtendedTables.DeviceSerialNumber(), ExtendedTables.VendorSpecificExtended(),
            ExtendedTables.DesignatedVendorSpecific(),
        ];
        var byKey = new Dictionary<StructureKey, StructureSpec>(all.Length);
        foreach (var s in all) byKey.Add(s.Key, s);
        return byKey;
    }

    /// <summary>Every structure of the table: headers first, then capabilities, then extended capabilities.</summary>
    public static IEnumerable<StructureSpec> Structures => ByKey.Values.OrderBy(s => s.Key.Kind).ThenBy(s => s.Key.Id);

    public static StructureSpec? Find(StructureKey key) => ByKey.GetValueOrDefault(key);

    /// <summary>The register of <paramref name="key"/> that holds byte <paramref name="offset"/> (relative to the structure).
    /// Where layouts differ by function (MSI with or without 64-bit addressing) several may; all are returned.</summary>
    public static IReadOnlyList<RegisterSpec> RegistersAt(StructureKey key, int offset) =>
        Find(key) is { } s ? [.. s.Registers.Where(r => offset >= r.Offset && offset < r.Offset + r.Width)] : [];

    /// <summary>What the simulator does with a structure the table has no entry for.</summary>
    public const string NotModelled = "not modelled: read-only (every write ignored)";

    /// <summary>The attributes of every register of one function, resolved against its own capability registers.</summary>
    public static FunctionAttributes Resolve(ReadOnlySpan<byte> config, PciAddress? address = null, IReadOnlyList<BarModel>? bars = null) =>
        new(new FunctionFacts(config, address, bars));

    internal static StructureKey? HeaderKey(HeaderType kind) => kind is HeaderType.Normal or HeaderType.Bridge or HeaderType.CardBus
        ? StructureKey.Header((int)kind) : null;
}

/// <summary>One register of one function with the attribute of each of its bits.</summary>
public sealed class ResolvedRegister
{
    private readonly BitAttribute[] _bits;

    internal ResolvedRegister(StructureSpec structure, int structureOffset, RegisterSpec spec, BitAttribute[] bits, RegisterContext context)
    {
        Structure = structure;
        StructureOffset = structureOffset;
        Spec = spec;
        _bits = bits;
        Context = context;
    }

    public StructureSpec Structure { get; }
    /// <summary>Where the structure starts in config space (0 for the header).</summary>
    public int StructureOffset { get; }
    public RegisterSpec Spec { get; }
    public int Offset => StructureOffset + Spec.Offset;
    public int Width => Spec.Width;
    public RegisterContext Context { get; }
    /// <summary>Bit i's attribute, i from 0 (least significant) to 8 x width - 1.</summary>
    public IReadOnlyList<BitAttribute> Bits => _bits;

    /// <summary>The bits whose attribute <paramref name="which"/> selects, as a mask over the register (bytes beyond 4 ignored).</summary>
    public uint Mask(Func<BitAttribute, bool> which)
    {
        uint m = 0;
        for (int i = 0; i < Math.Min(32, _bits.Length); i++) if (which(_bits[i])) m |= 1u << i;
        return m;
    }

    public uint Writable => Mask(BitAttributes.IsWritable);
    public uint WriteOneToClear => Mask(BitAttributes.IsWriteOneToClear);
    public uint Sticky => Mask(BitAttributes.IsSticky);
    public uint Actions => Mask(a => a == BitAttribute.Action);

    /// <summary>Writable bits of resource assignment fields (BARs, ROM, windows, bus numbers).</summary>
    public uint ResourceBits => FieldBits(f => f.Resource) & Writable;

    /// <summary>Writable bits whose setting resets other functions (Secondary Bus Reset, CardBus Reset).</summary>
    public uint ResetTriggerBits => FieldBits(f => f.ResetTrigger) & Writable;

    /// <summary>The bits of the fields <paramref name="which"/> selects.</summary>
    public uint FieldBits(Func<FieldSpec, bool> which)
    {
        uint m = 0;
        foreach (var f in Spec.Fields) if (which(f) && f.Low < 32) m |= f.Mask;
        return m;
    }

    /// <summary>The register's writable bits after a reset: each field's default.</summary>
    public uint ResetValue
    {
        get
        {
            uint v = 0;
            foreach (var f in Spec.Fields) if (f.Low < 32) v |= (f.Default << f.Low) & f.Mask;
            return v & (Writable | Mask(a => a == BitAttribute.RW1C || a == BitAttribute.RW1CS));
        }
    }

    public FieldSpec? FieldAt(int bit) => Spec.FieldAt(bit);

    public override string ToString() => $"{Structure.Key}+0x{Spec.Offset:x} {Spec.Name} @0x{Offset:x3}";
}

/// <summary>A structure found in a function's config space, with the table's entry for it (null: not modelled).</summary>
public sealed record FoundStructure(StructureKey Key, int Offset, StructureSpec? Spec, string Name);

/// <summary>
/// The resolved attributes of one function: every register the table knows, and per config byte which bits are
/// writable, write-1-to-clear, sticky or actions. Bytes no register covers are read-only.
/// </summary>
public sealed class FunctionAttributes
{
    private readonly List<ResolvedRegister> _registers = [];
    private readonly List<FoundStructure> _structures = [];

    internal FunctionAttributes(FunctionFacts facts)
    {
        Facts = facts;
        int n = facts.Length;
        Writable = new byte[n];
        WriteOneToClear = new byte[n];
        Sticky = new byte[n];
        Actions = new byte[n];
        var claimed = new bool[n];

        if (SpecTable.HeaderKey(facts.Header) is { } hk)
            Add(SpecTable.Find(hk)!, 0, claimed);
        else
            _structures.Add(new FoundStructure(StructureKey.Header((int)facts.Header), 0, null, $"header type {(int)facts.Header}"));
        foreach (var cap in facts.Capabilities.Capabilities)
        {
            var key = cap.Extended ? StructureKey.Extended(cap.Id) : StructureKey.Capability(cap.Id);
            if (SpecTable.Find(key) is { } spec) Add(spec, cap.Offset, claimed);
            else _structures.Add(new FoundStructure(key, cap.Offset, null, cap.Name));
        }
        _registers.Sort((a, b) => a.Offset.CompareTo(b.Offset));
    }

    private void Add(StructureSpec spec, int at, bool[] claimed)
    {
        _structures.Add(new FoundStructure(spec.Key, at, spec, spec.Name));
        var context = new RegisterContext(Facts, at);
        foreach (var reg in spec.Registers)
        {
            int start = at + reg.Offset;
            if (start + reg.Width > Facts.Length) continue;
            if (reg.Present is { } p && !p.Holds(context)) continue;
            // A capability drawn over another one's bytes (a broken list): the first claim stands.
            bool taken = false;
            for (int i = 0; i < reg.Width; i++) taken |= claimed[start + i];
            if (taken) continue;
            var bits = Resolve(reg, context);
            var r = new ResolvedRegister(spec, at, reg, bits, context);
            _registers.Add(r);
            for (int i = 0; i < reg.Width; i++)
            {
                claimed[start + i] = true;
                for (int b = 0; b < 8; b++)
                {
                    var a = bits[8 * i + b];
                    byte bit = (byte)(1 << b);
                    if (a.IsWritable()) Writable[start + i] |= bit;
                    if (a.IsWriteOneToClear()) WriteOneToClear[start + i] |= bit;
                    if (a.IsSticky()) Sticky[start + i] |= bit;
                    if (a == BitAttribute.Action) Actions[start + i] |= bit;
                }
            }
        }
    }

    private static BitAttribute[] Resolve(RegisterSpec reg, RegisterContext context)
    {
        var bits = new BitAttribute[8 * reg.Width];
        Array.Fill(bits, BitAttribute.RsvdP);
        if (reg.ReservedWhen is { } reserved && reserved.Holds(context)) return bits;
        foreach (var f in reg.Fields)
        {
            var a = f.Resolve(context);
            for (int b = f.Low; b < f.Low + f.Width && b < bits.Length; b++) bits[b] = a;
        }
        if (reg.Implemented is { } impl)
        {
            uint mask = impl.Mask(context);
            for (int b = 0; b < Math.Min(32, bits.Length); b++)
                if ((mask & (1u << b)) == 0 && !bits[b].IsReadOnly()) bits[b] = impl.Outside;
        }
        return bits;
    }

    public FunctionFacts Facts { get; }
    /// <summary>Every register the table covers on this function, in offset order.</summary>
    public IReadOnlyList<ResolvedRegister> Registers => _registers;
    /// <summary>The header and every capability found, modelled or not.</summary>
    public IReadOnlyList<FoundStructure> Structures => _structures;

    /// <summary>Per config byte: bits that take the written value (RW, RWS).</summary>
    public byte[] Writable { get; }
    /// <summary>Per config byte: bits a written 1 clears (RW1C, RW1CS).</summary>
    public byte[] WriteOneToClear { get; }
    /// <summary>Per config byte: bits a function-level or hot reset keeps (RWS, RW1CS, ROS).</summary>
    public byte[] Sticky { get; }
    /// <summary>Per config byte: action bits (a 1 starts something; they read 0).</summary>
    public byte[] Actions { get; }

    /// <summary>The register holding byte <paramref name="offset"/>, if the table covers it.</summary>
    public ResolvedRegister? RegisterAt(int offset)
    {
        int lo = 0, hi = _registers.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) / 2;
            var r = _registers[mid];
            if (offset < r.Offset) hi = mid - 1;
            else if (offset >= r.Offset + r.Width) lo = mid + 1;
            else return r;
        }
        return null;
    }

    /// <summary>The register named <paramref name="name"/> of the structure <paramref name="key"/>, if present.</summary>
    public ResolvedRegister? Find(StructureKey key, string name) =>
        _registers.FirstOrDefault(r => r.Structure.Key == key && r.Spec.Name == name);

    /// <summary>The attribute of one bit; null where no register of the table covers the byte (read-only).</summary>
    public BitAttribute? AttributeOf(int offset, int bit) =>
        RegisterAt(offset) is { } r ? r.Bits[8 * (offset - r.Offset) + bit] : null;
}

/// <summary>A sort that keeps the given order of equal elements, as LINQ's OrderBy does (List.Sort does not): an
/// insertion sort, for the specification tables' short lists (at most a few dozen entries).</summary>
internal static class StableSort
{
    public static void By<T>(List<T> list, Comparison<T> compare)
    {
        for (int i = 1; i < list.Count; i++)
        {
            var item = list[i];
            int j = i - 1;
            while (j >= 0 && compare(list[j], item) > 0)
            {
                list[j + 1] = list[j];
                j--;
            }
            list[j + 1] = item;
        }
    }
}
