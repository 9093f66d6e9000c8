using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>One control register of the capability: <paramref name="Offset"/> in it, its width, the bits restored
/// and what the step says.</summary>
internal sealed record ControlRegister(int Offset, int Width, uint Mask, string Description);

/// <summary>A capability whose restore is one control register written as captured through a mask.</summary>
internal abstract class RegisterRestore(ExtendedCapabilityId id, string title, string summary, ControlRegister register)
    : CapabilityRestore(id, title, summary)
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context) =>
        w.Restore(At(cap, register.Offset, register.Width), register.Mask, register.Description);
}

/// <summary>LTR's latencies, one dword as pci_restore_ltr_state() writes them, before LTR Enable in DevCtl2
/// (<see cref="ExpressRestore"/>, after this in <see cref="RestoreOrder"/>).</summary>
internal sealed class LtrRestore() : RegisterRestore(ExtendedCapabilityId.Ltr, "LTR", "max snoop and no-snoop latencies, one dword, before LTR Enable in DevCtl2",
    new(Ltr.MaxSnoopLatency, 4, 0x1fff1fff, "LTR max snoop and no-snoop latencies"));

/// <summary>PTM Control (Enable, Root Select, Effective Granularity), as pci_restore_ptm_state() writes it.</summary>
internal sealed class PtmRestore() : RegisterRestore(ExtendedCapabilityId.Ptm, "PTM", "PTM Control", new(Ptm.Ctrl, 4, 0x0000ff03, "PTM control"));
