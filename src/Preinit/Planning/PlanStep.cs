using Preconfig.ConfigSpace;

namespace Preconfig.Preinit.Planning;

/// <summary>Where a step sits in the replay. The plan runs phase by phase: every endpoint is quiesced before any
/// reset, and every reset is done before anything is restored.</summary>
public enum StepPhase
{
    /// <summary>Bus Master, decode and INTx off, MSI off, MSI-X masked then disabled: stop DMA and interrupts.</summary>
    Quiesce,
    /// <summary>An optional reset (policy), through a pluggable <see cref="Apply.IResetStep"/>.</summary>
    Reset,
    /// <summary>The deliberate "clear stale error status" writes of ones into write-1-to-clear bits.</summary>
    ClearErrors,
    /// <summary>Power state, LTR, PCI Express control registers, firmware-held extended capabilities, MSI/MSI-X.</summary>
    Capabilities,
    /// <summary>The header from high dwords to low, BARs before Command.</summary>
    Header,
    /// <summary>Command, last.</summary>
    Command,
    /// <summary>The parent port's side of a link's L1 PM substates restore, done from the downstream component's
    /// sequence as pci_restore_aspm_l1ss_state() does (after the port's own restore).</summary>
    LinkPartner,
}

public enum StepKind
{
    /// <summary>A read-modify-write as setpci does it: <c>new = (old &amp; ~Mask) | (Value &amp; Mask)</c>.</summary>
    Write,
    /// <summary>Writes ones into write-1-to-clear bits (Value = Mask = the bits to clear).</summary>
    ClearStatus,
    /// <summary>Asks the platform for a reset by <see cref="PlanStep.ResetMethod"/>.</summary>
    Reset,
}

/// <summary>
/// One step of the plan. For a write, <see cref="Mask"/> also covers the register's write-1-to-clear bits with zero in
/// <see cref="Value"/>, so the same read-modify-write done by setpci never clears a status bit by accident;
/// <see cref="Check"/> is the bits compared before writing and verified after.
/// </summary>
public sealed record PlanStep
{
    public required PciAddress Address { get; init; }
    public required StepPhase Phase { get; init; }
    public StepKind Kind { get; init; } = StepKind.Write;
    public int Offset { get; init; }
    /// <summary>1, 2 or 4 bytes.</summary>
    public int Width { get; init; }
    public uint Value { get; init; }
    public uint Mask { get; init; }
    public uint Check { get; init; }
    /// <summary>What the checked bits must read after the step (Value for a write, 0 for a clear).</summary>
    public uint Expected { get; init; }
    /// <summary>The register as setpci names it: <c>COMMAND</c>, <c>CAP_EXP+8.w</c>, <c>ECAP_AER+14.l</c>.</summary>
    public string Register { get; init; } = "";
    /// <summary>Why, for people: "quiesce: Bus Master, decode off, INTx disabled".</summary>
    public string Description { get; init; } = "";
    /// <summary>Written even when it already reads the wanted value (the kernel's forced bridge prefetch registers).</summary>
    public bool Force { get; init; }
    /// <summary>How long to wait after the write before the function is accessed again (a D-state change: 10 ms
    /// when D3hot is either end, 200 µs for D2, PCI PM 1.2 table 5-6).</summary>
    public TimeSpan Settle { get; init; }
    /// <summary>The first method to try (a reset step).</summary>
    public string? ResetMethod => ResetMethods.Count > 0 ? ResetMethods[0] : null;
    /// <summary>A reset step's methods in the order they are tried until one is verified.</summary>
    public IReadOnlyList<string> ResetMethods { get; init; } = [];
    /// <summary>The function's sysfs <c>reset_method</c> as the plan read it: what a sysfs request writes keeps the
    /// kernel's device-specific reset first when offered (SysfsPciAccess.ResetMethodSelection).</summary>
    public IReadOnlyList<string> ResetOffered { get; init; } = [];
    /// <summary>For the "bridge" method: the parent bridge whose Secondary Bus Reset is used, and every function below it.</summary>
    public PciAddress? ResetBridge { get; init; }
    public IReadOnlyList<PciAddress> ResetGroup { get; init; } = [];

    /// <summary>The value a read-modify-write leaves, given what the register holds now.</summary>
    public uint Merge(uint current) => (current & ~Mask) | (Value & Mask);

    /// <summary>Whether the checked bits already read as wanted.</summary>
    public bool Satisfied(uint current) => (current & Check) == (Expected & Check);

    /// <summary>The step as a setpci argument: <c>COMMAND=0x0402:0x0507</c>.</summary>
    public string SetpciArgument
    {
        get
        {
            string digits = Width switch { 1 => "x2", 2 => "x4", _ => "x8" };
            return $"{Register}=0x{Value.ToString(digits)}:0x{Mask.ToString(digits)}";
        }
    }

    public override string ToString() => Kind == StepKind.Reset
        ? $"{Address} reset ({string.Join(", then ", ResetMethods)}): {Description}"
        : $"{Address} {SetpciArgument}: {Description}";
}
