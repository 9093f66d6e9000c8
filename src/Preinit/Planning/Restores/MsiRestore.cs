using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Planning.Function;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>MSI: address, data, extended data and the vector mask, then Message Control with MSI Enable kept off (its
/// driver enables it; the kernel restores MSI only for a driver that enabled it, __pci_restore_msi_state()).</summary>
internal sealed class MsiRestore() : CapabilityRestore(CapabilityId.Msi, "MSI",
    "address, data, extended data, vector mask, then Message Control with MSI Enable off")
{
    protected override void Restore(StepWriter w, Capability cap, PlanContext context)
    {
        var f = w.Function;
        ushort flags = ConfigBytes.U16(f.Layout, cap.Offset + Msi.Flags);
        bool is64 = (flags & Msi.Flags64Bit) != 0;
        int data = is64 ? Msi.Data64 : Msi.Data32;
        w.Restore(At(cap, Msi.AddressLo, 4), 0xfffffffc, "MSI address");
        if (is64) w.Restore(At(cap, Msi.AddressHi, 4), 0xffffffff, "MSI address (high)");
        w.Restore(At(cap, data, 2), 0xffff, "MSI data");
        bool extData = (flags & Msi.FlagsExtData) != 0;
        if (extData) w.Restore(At(cap, data + 2, 2), 0xffff, "MSI extended data");
        if ((flags & Msi.FlagsMaskBit) != 0)
            w.Restore(At(cap, is64 ? Msi.Mask64 : Msi.Mask32, 4), 0xffffffff, "MSI vector mask");
        var control = At(cap, Msi.Flags, 2);
        if (f.Captured(control) is not { } captured) return;
        if ((captured & Msi.FlagsEnable) != 0) f.Notes.Add("MSI enabled in the snapshot: left off (its driver enables it)");
        uint bits = Msi.FlagsQsize | (extData ? Msi.FlagsExtDataEnable : 0u);
        w.Write(control, captured & bits, bits | Msi.FlagsEnable, "MSI control (enable off)");
    }

    public override void Quiesce(StepWriter w, Capability cap) =>
        w.Write(At(cap, Msi.Flags, 2), 0, Msi.FlagsEnable, "quiesce: MSI off");

    public override void NotRestored(LeftAloneList list, ReadOnlySpan<byte> cfg, Capability cap) =>
        list.Add(cap, Msi.Flags, 2, Msi.FlagsEnable, After.Off, LeftAlone.WhyMsiEnable);
}
