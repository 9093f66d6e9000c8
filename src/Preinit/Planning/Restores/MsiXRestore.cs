using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>MSI-X: Message Control's Function Mask as captured, MSI-X Enable kept off (the table and PBA live in BAR
/// memory; its driver enables its vectors).</summary>
internal sealed class MsiXRestore() : CapabilityRestore(CapabilityId.MsiX, "MSI-X",
    "Message Control: Function Mask as captured, MSI-X Enable off")
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var control = At(cap, MsiX.Flags, 2);
        if (w.Function.Captured(control) is not { } flags) return;
        if ((flags & MsiX.FlagsEnable) != 0) w.Function.Notes.Add("MSI-X enabled in the snapshot: left off (its driver enables it)");
        w.Write(control, flags & MsiX.FlagsMaskAll, MsiX.FlagsMaskAll | MsiX.FlagsEnable, "MSI-X control (enable off)");
    }

    /// <summary>Every vector masked first, then MSI-X off: no interrupt slips out between the two.</summary>
    public override void Quiesce(StepWriter w, Capability cap)
    {
        var control = At(cap, MsiX.Flags, 2);
        if ((w.Function.Read(control) & MsiX.FlagsEnable) == 0) return;
        w.Write(control, MsiX.FlagsMaskAll, MsiX.FlagsMaskAll, "quiesce: MSI-X Function Mask");
        w.Write(control, 0, MsiX.FlagsEnable, "quiesce: MSI-X off");
    }

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap) =>
        list.Add(cap, MsiX.Flags, 2, MsiX.FlagsEnable, After.Off, LeftAlone.WhyMsiEnable);
}
