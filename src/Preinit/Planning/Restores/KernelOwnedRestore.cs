using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>A control register the kernel owns: <paramref name="Offset"/> (in the capability), width and the bits
/// restored; what a step and a note call it; why it is the kernel's (the note); the reason docs/preinit.md quotes
/// (<see cref="LeftAlone"/>); the policy field that restores it, as the "unless" column has it.</summary>
internal sealed record KernelOwnedRegister(int Offset, int Width, uint Mask, string Name, string WhyKernel, string WhyLeftAlone,
    string Unless, Func<ReplayPolicy, bool> PolicyRestores);

/// <summary>A capability whose control register the kernel owns: restored only when the policy asks, else a note
/// when it differs from the capture, and listed in <see cref="LeftAlone"/>.</summary>
internal abstract class KernelOwnedRestore(ExtendedCapabilityId id, string title, string summary, KernelOwnedRegister register)
    : CapabilityRestore(id, title, summary)
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var f = w.Function;
        var reg = At(cap, register.Offset, register.Width);
        uint mask = register.Mask;
        if (register.PolicyRestores(f.Policy)) { w.Restore(reg, mask, register.Name); return; }
        if (f.IsCaptured(reg) && f.Exists(reg) && (f.ReadCaptured(reg) & mask) != (f.Read(reg) & mask))
            f.Notes.Add($"{register.Name} 0x{f.Read(reg) & mask:x} now, 0x{f.ReadCaptured(reg) & mask:x} captured: left to the kernel ({register.WhyKernel})");
    }

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap)
    {
        if (!register.PolicyRestores(list.Policy))
            list.Add(cap, register.Offset, register.Width, 0xffff, After.AsFound, register.WhyLeftAlone, register.Unless);
    }
}

/// <summary>ACS Control: the kernel sets it by its IOMMU policy (pci_enable_acs()); policy restoreAcs.</summary>
internal sealed class AcsRestore() : KernelOwnedRestore(ExtendedCapabilityId.Acs, "ACS (policy)", "ACS Control, only with policy restoreAcs",
    new(Acs.Ctrl, 2, 0x007f, "ACS control", "the kernel sets it by its IOMMU policy (pci_enable_acs); policy restoreAcs",
        LeftAlone.WhyAcs, "restoreAcs: true", p => p.RestoreAcs));

/// <summary>ARI Control: the kernel's (pci_configure_ari()); policy restoreAri.</summary>
internal sealed class AriRestore() : KernelOwnedRestore(ExtendedCapabilityId.Ari, "ARI (policy)", "ARI Control, only with policy restoreAri",
    new(Ari.Ctrl, 2, 0x0073, "ARI control", "the kernel's (pci_configure_ari); policy restoreAri", LeftAlone.WhyAri, "restoreAri: true", p => p.RestoreAri));
