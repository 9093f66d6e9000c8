using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning.Rules;

/// <summary>
/// One device the kernel never resets by <paramref name="Method"/> ("bus": <c>PCI_DEV_FLAGS_NO_BUS_RESET</c>, which
/// also keeps <c>pci_bus_resettable()</c> from resetting the bus it sits on or, for a bridge, the bus below it; "flr":
/// <c>PCI_DEV_FLAGS_NO_FLR_RESET</c>): vendor, device under <paramref name="DeviceMask"/>, and revision when the quirk
/// checks it. <paramref name="Quirk"/> names the drivers/pci/quirks.c function, <paramref name="Why"/> its reason.
/// </summary>
internal sealed record ResetQuirk(ushort Vendor, ushort[] Devices, string Method, string Quirk, string Why, ushort DeviceMask = 0xffff, int Revision = -1)
{
    public bool Matches(ReadOnlySpan<byte> cfg) =>
        cfg.Length >= Header.Size
        && ConfigBytes.U16(cfg, Header.VendorId) == Vendor
        && Array.IndexOf(Devices, (ushort)(ConfigBytes.U16(cfg, Header.DeviceId) & DeviceMask)) >= 0
        && (Revision < 0 || cfg[Header.RevisionId] == Revision);
}

/// <summary>
/// The kernel's no-bus-reset and no-FLR quirks (drivers/pci/quirks.c), as a second guard: the capture kernel already
/// leaves the method out of the device's <c>reset_method</c>, but preinit's own "bridge" method (a Secondary Bus
/// Reset through the parent's Bridge Control) does not go through the kernel, and a hand-written or older sysfs tree
/// may still list it. A listed device never gets that reset, nor a bridge reset above it (listed for "bus").
/// Read from drivers/pci/quirks.c (v6.18, plus the ASM1164 and GB10 entries merged for v6.19); the NVIDIA T4
/// (10de:1eb8) entry once proposed for quirk_nvidia_no_bus_reset was reverted before release and is not here.
/// </summary>
internal static class KernelResetQuirks
{
    private const string Atheros = "Atheros AR9xxx/QCA988x: after a bus reset config space is never accessible again; access typically hangs or resets the system";

    public static readonly IReadOnlyList<ResetQuirk> All =
    [
        new(0x168c, [0x0030, 0x0032, 0x0033, 0x0034, 0x003c, 0x003e], "bus", "quirk_no_bus_reset", Atheros),
        new(0x10de, [0x2340], "bus", "quirk_nvidia_no_bus_reset", "some NVIDIA GPUs ((device & 0xffc0) == 0x2340) do not work after a bus reset", DeviceMask: 0xffc0),
        // GB10 Root Ports (2025, stable): after a Secondary Bus Reset through them the link may not retrain, or
        // config accesses below fail. A bridge: the bus below it is never reset.
        new(0x10de, [0x22ce, 0x22d0], "bus", "quirk_no_bus_reset", "NVIDIA GB10 Root Port: after a Secondary Bus Reset the link may not retrain correctly"),
        new(0x177d, [0xa100], "bus", "quirk_no_bus_reset", "Cavium CN8xxx Root Port does not complete a bus reset"),
        new(0x104c, [0xb005], "bus", "quirk_no_bus_reset", "TI KeyStone C667X: Secondary Bus Reset disables its LTSSM and the device stops working"),
        new(0x1b21, [0x1164], "bus", "quirk_no_bus_reset", "ASMedia ASM1164 SATA controller fails to retrain after a bus reset"),
        new(0x1022, [0x1487, 0x148c, 0x149c, 0x7901], "flr", "quirk_no_flr", "AMD Starship/Matisse HD Audio and USB 3.0, FCH AHCI: hang, or not reset, on FLR"),
        new(0x8086, [0x1502, 0x1503], "flr", "quirk_no_flr", "Intel 82579LM/V hang on FLR"),
        new(0x14c3, [0x0616], "flr", "quirk_no_flr", "MediaTek MT7922 Wi-Fi hangs on FLR"),
        new(0xd063, [0x1000], "flr", "quirk_no_flr_snet", "SolidRun SNET DPU rev 1 hangs on FLR", Revision: 0x01),
    ];

    /// <summary>Why the kernel never resets this function by <paramref name="method"/> ("bridge" counts as "bus"), or null.</summary>
    public static string? WhyNot(ReadOnlySpan<byte> cfg, string method)
    {
        string kernelMethod = method == ResetRules.BridgeMethod ? "bus" : method;
        foreach (var q in All)
            if (q.Method == kernelMethod && q.Matches(cfg)) return $"no {kernelMethod} reset: quirks.c {q.Quirk}: {q.Why}";
        return null;
    }
}
