using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Matching;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning.Function;

/// <summary>
/// One function's steps, planned against a projection of its config space: what it holds now with every step before
/// applied, what the capture holds (and which of its bytes were captured), and the layout the steps depend on.
/// Steps are added through <see cref="In"/>, which names their phase; the phase says which of the function's step
/// lists (<see cref="PlanStage"/>) they go to.
/// </summary>
internal sealed class FunctionPlan
{
    private readonly byte[] _snap;
    private readonly KnownBytes _known;
    private readonly Projection _proj;
    private readonly List<string> _notCaptured = [];
    private readonly List<PlanStep>[] _steps = [[], [], []];

    public PciAddress Address { get; }
    public ReplayPolicy Policy { get; }
    /// <summary>The function's layout and read-only fields (header type, capability list, PCI Express and MSI flags,
    /// BAR types): the captured bytes where captured, else as read now (matching showed both agree where both exist).</summary>
    public byte[] Layout { get; }
    public HeaderType Type { get; }
    public CapabilityWalker.Result Caps { get; }
    /// <summary>Anything but a type 0 header: bridges are not quiesced and their Command is restored as captured.</summary>
    public bool IsBridge => Type != HeaderType.Normal;
    /// <summary>What was refused or deliberately left off, for the report.</summary>
    public List<string> Notes { get; } = [];
    /// <summary>Registers not written because the capture does not hold all their bytes.</summary>
    public List<string> LeftOut { get; } = [];
    /// <summary>Set once a step resets the function (a reset, D3hot to D0 without No_Soft_Reset): what the registers
    /// hold after it is unknown here, so every later restore write is planned.</summary>
    public bool AfterReset { get; set; }
    /// <summary>Max Payload Size (encoded, 128 &lt;&lt; n) this function has after the replay; null when not PCI Express.</summary>
    public int? FinalMps { get; set; }
    /// <summary>Command bits the kernel owns here (<see cref="KernelOwnership"/>: the boot VGA's Bus Master and
    /// decode): the quiesce never clears them and Command's restore leaves them as found.</summary>
    public uint KernelCommandBits { get; }

    public FunctionPlan(DeviceMatch m, ReplayPolicy policy)
    {
        Policy = policy;
        Address = m.Address;
        byte[] present = m.Present!;
        KernelCommandBits = KernelOwnership.Of(m.Address, present, m.Info?.BootVga, policy) is { Part: OwnedPart.Decode } ? KernelOwnership.DecodeBits : 0;
        _proj = new Projection(present);
        _snap = m.Record?.Config ?? [];
        _known = m.Known ?? KnownBytes.All(0);
        // The layout is read, never written: a capture held whole and as long as the function is the layout itself.
        if (_snap.Length == present.Length && _known.Length == _snap.Length && _known.IsComplete) Layout = _snap;
        else
        {
            Layout = (byte[])present.Clone();
            _known.CopyKnown(_snap, Layout);
        }
        Type = ConfigBytes.HeaderKind(Layout);
        Caps = CapabilityWalker.Walk(Layout);
    }

    /// <summary>How many bytes the function has now (steps past it are not made).</summary>
    public int Length => _proj.Length;

    /// <summary>How many bytes the capture has.</summary>
    public int CapturedLength => _snap.Length;

    public IReadOnlyList<PlanStep> Steps(PlanStage stage) => _steps[(int)stage];

    /// <summary>Adds steps of <paramref name="phase"/> to this function's (or, for a link partner, <paramref name="owner"/>'s) steps.</summary>
    public StepWriter In(StepPhase phase, FunctionPlan? owner = null) => new(this, phase, owner ?? this);

    internal void Add(PlanStep step) => _steps[(int)Phases.Of(step.Phase).Stage].Add(step);

    public PciExpressPortType? PortType => PortTypeOf(Layout, Caps);

    /// <summary>The PCI Express port type (PCI_EXP_FLAGS_TYPE), null when the function is not PCI Express.</summary>
    public static PciExpressPortType? PortTypeOf(ReadOnlySpan<byte> cfg, CapabilityWalker.Result walk) =>
        walk.Find(CapabilityId.Express) is { } exp
            ? (PciExpressPortType)((ConfigBytes.U16(cfg, exp.Offset + PciExpress.Flags) & PciExpress.FlagsTypeMask) >> 4) : null;

    public bool IsRootPortOrRcec => PortType is PciExpressPortType.RootPort or PciExpressPortType.RootComplexEventCollector;

    /// <summary>What the register will hold at this point of the plan.</summary>
    public uint Read(Reg reg) => _proj.Read(reg.Offset, reg.Width);

    /// <summary>What the capture holds (meaningful where <see cref="IsCaptured"/>).</summary>
    public uint ReadCaptured(Reg reg) => reg.Width switch
    {
        1 => ConfigBytes.U8(_snap, reg.Offset),
        2 => ConfigBytes.U16(_snap, reg.Offset),
        _ => ConfigBytes.U32(_snap, reg.Offset),
    };

    public bool IsCaptured(Reg reg) => _known.Covers(reg.Offset, reg.Width);

    /// <summary>The register exists on the function as it is now.</summary>
    public bool Exists(Reg reg) => reg.Offset + reg.Width <= _proj.Length;

    internal void Store(Reg reg, uint value) => _proj.Store(reg.Offset, reg.Width, value);

    /// <summary>The captured value of a register, or null (noted) when the capture does not hold all its bytes.</summary>
    public uint? Captured(Reg reg)
    {
        if (!Exists(reg)) return null;
        if (IsCaptured(reg)) return ReadCaptured(reg);
        NotCaptured(reg);
        return null;
    }

    /// <summary>Notes a register left out because the capture does not hold all its bytes.</summary>
    public void NotCaptured(Reg reg)
    {
        if (!Exists(reg)) return; // not in the function as it is either
        string name = reg.SetpciName(Type);
        if (_notCaptured.Contains(name)) return;
        _notCaptured.Add(name);
        int first = reg.Offset, last = reg.Offset + reg.Width - 1;
        while (first < last && _known.IsKnown(first)) first++;
        while (last > first && _known.IsKnown(last)) last--;
        LeftOut.Add($"{name}: byte(s) {KnownBytes.Describe(first, last - first + 1)} not captured");
    }

    /// <summary>The notes, with one line for the registers left out because the capture did not hold them.</summary>
    public IReadOnlyList<string> FinishNotes()
    {
        if (_notCaptured.Count == 0) return Notes;
        return [.. Notes, $"left out, not captured: {string.Join(", ", _notCaptured)}"];
    }
}
