using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>DPC Control without Software Trigger, as pci_restore_dpc_state() writes it (the kernel saves nothing else
/// of DPC either).</summary>
internal sealed class DpcRestore() : RegisterRestore(ExtendedCapabilityId.Dpc, "DPC", "DPC Control, never its Software Trigger",
    new(Dpc.Ctrl, 2, 0x01ff & ~LeftAlone.DpcControlNever, "DPC control"))
{
    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap)
    {
        list.Add(cap, Dpc.Ctrl, 2, LeftAlone.DpcControlNever, After.AsFound, LeftAlone.WhyDpcTrigger);
        list.Add(cap.Offset + Dpc.Status, list.NextStart(cap) - cap.Offset - Dpc.Status, 0,
            $"{SetpciNames.CapabilityBase(cap.Extended, cap.Id)}+{Dpc.Status:x} ...", After.AsFound, LeftAlone.WhyDpcStatus);
    }
}
