using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Planning;

/// <summary>What of a function the kernel owns.</summary>
public enum OwnedPart
{
    /// <summary>The whole function: never quiesced, put decode-off, reset or restored.</summary>
    Function,
    /// <summary>Command's Bus Master, Memory and I/O decode (the boot VGA): never cleared, left as found.</summary>
    Decode,
}

/// <summary>
/// One row of the kernel's ownership table: functions whose class code starts with <paramref name="Class"/>
/// (<paramref name="ClassDigits"/> hex digits), or, with <paramref name="BootVga"/>, the console's VGA device.
/// <paramref name="Kernel"/> names the kernel code that owns it, <paramref name="Why"/> says what it is for.
/// </summary>
public sealed record KernelOwnedEntry(string What, uint Class, int ClassDigits, OwnedPart Part, string Kernel, string Why, bool BootVga = false)
{
    public bool Matches(uint classCode, bool bootVga) =>
        BootVga ? bootVga : classCode >> (4 * (6 - ClassDigits)) == Class;

    /// <summary>The report's reason: <c>left to the kernel: ISA bridge (class 0601): ... (kernel: ...)</c>.</summary>
    public string Reason => $"left to the kernel: {What}: {Why} ({Kernel})";
}

/// <summary>
/// The functions the kernel uses without a PCI driver bound, one table (docs/preinit.md "Left to the kernel" is
/// generated from it): preinit never quiesces them, never turns their decode off, never resets them and does not
/// restore them; the report says <c>left-to-kernel</c> and why. Policy <c>kernelOwned</c> adds functions (whole),
/// <c>notKernelOwned</c> takes functions out of the table. Class 0805 (SD host controller) is deliberately not here:
/// sdhci-pci drives it and it is a DMA master like any other endpoint, so it is quiesced.
/// </summary>
public static class KernelOwnership
{
    /// <summary>The Command bits the kernel keeps for a <see cref="OwnedPart.Decode"/> function.</summary>
    public const uint DecodeBits = (uint)(Command.BusMaster | Command.Memory | Command.Io);

    public static readonly IReadOnlyList<KernelOwnedEntry> Table =
    [
        new("host bridge (class 0600)", 0x0600, 4, OwnedPart.Function,
            "drivers/pci/quirks.c quirk_mmio_always_on(): PCI_CLASS_BRIDGE_HOST keeps memory decode on even while BARs are sized",
            "the CPU's own path to memory and to config space; no driver binds to it"),
        new("ISA/LPC bridge (class 0601)", 0x0601, 4, OwnedPart.Function,
            "drivers/pci/quirks.c quirk_ich4_lpc_acpi(), quirk_ich6_lpc(), quirk_ich7_lpc(): the ACPI, GPIO and LPC decode ranges it forwards are the kernel's; 8250 serial, tpm_tis and ipmi_si sit behind it",
            "forwards the legacy serial console, TPM, IPMI KCS and ACPI registers; no driver binds to it"),
        new("interrupt controller (class 0800)", 0x0800, 4, OwnedPart.Function,
            "arch/x86/kernel/apic/io_apic.c: IO-APICs are programmed at the address ACPI MADT gives, without a PCI driver",
            "the capture kernel's interrupts are delivered through it"),
        new("DMA controller (class 0801)", 0x0801, 4, OwnedPart.Function,
            "kernel/dma.c and the ISA DMA users (isa_dma_bridge_buggy, drivers/pci/quirks.c quirk_isa_dma_hangs())",
            "legacy ISA DMA, used by the kernel itself"),
        new("timer (class 0802)", 0x0802, 4, OwnedPart.Function,
            "arch/x86/kernel/hpet.c: the HPET at the address ACPI gives, without a PCI driver",
            "the capture kernel's clock source and tick"),
        new("RTC (class 0803)", 0x0803, 4, OwnedPart.Function,
            "drivers/rtc/rtc-cmos.c: bound through ACPI/PNP, not PCI",
            "the real-time clock"),
        new("PCI hot-plug controller (class 0804)", 0x0804, 4, OwnedPart.Function,
            "drivers/pci/hotplug: the slots' own controller",
            "slot power and presence; turning it off removes what is in the slots"),
        new("IOMMU (class 0806)", 0x0806, 4, OwnedPart.Function,
            "drivers/iommu/amd/init.c iommu_init_pci(), iommu_setup_msi(): pci_enable_msi() on the IOMMU's own function with no driver bound",
            "the IOMMU's event log and page faults interrupt through its MSI; the capture kernel's DMA translation depends on it"),
        new("root complex event collector (class 0807)", 0x0807, 4, OwnedPart.Function,
            "drivers/pci/pcie/rcec.c, drivers/pci/pcie/portdrv.c: AER of the root complex's integrated endpoints goes through it",
            "error reporting of the root complex"),
        new("other system peripheral (class 0880)", 0x0880, 4, OwnedPart.Function,
            "drivers/edac/sb_edac.c, skx_common.c, i7core_edac.c: chipset and uncore registers found with pci_get_device(), no driver bound",
            "chipset registers (memory map, VT-d, memory controller, thermal) the platform and the kernel read in place"),
        new("boot VGA (sysfs boot_vga), Bus Master and decode", 0x0300, 4, OwnedPart.Decode,
            "drivers/pci/vgaarb.c vga_arb_select_default_device() and the boot_vga attribute (drivers/pci/pci-sysfs.c): the console firmware set up; sysfb/efifb draw into its BAR",
            "the console: its framebuffer is in its BAR and an integrated GPU scans it out by DMA", BootVga: true),
    ];

    /// <summary>The row that owns this function (a policy <c>kernelOwned</c> selector as a row of its own), or null.
    /// <paramref name="bootVga"/> is sysfs <c>boot_vga</c>; where sysfs does not say, a VGA-compatible controller
    /// (class 0300) is taken for the console, as for resets.</summary>
    public static KernelOwnedEntry? Of(PciAddress address, ReadOnlySpan<byte> cfg, bool? bootVga, ReplayPolicy policy)
    {
        if (cfg.Length < Header.Size) return null;
        var id = DeviceIdentity.Of(address, cfg);
        if (ReplayPolicy.AnyMatches(policy.NotKernelOwned, id)) return null;
        foreach (var s in policy.KernelOwned)
            if (s.Matches(id)) return new KernelOwnedEntry($"policy kernelOwned ({s})", 0, 0, OwnedPart.Function, "the policy file", "named by the policy");
        bool console = bootVga ?? id.ClassCode >> 8 == 0x0300;
        foreach (var e in Table)
            if (e.Matches(id.ClassCode, console)) return e;
        return null;
    }

    /// <summary>The table as docs/preinit.md shows it (a test holds the file to it).</summary>
    public static string Markdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("| function | what is left to the kernel | why | kernel code |\n|---|---|---|---|\n");
        foreach (var e in Table)
            sb.Append($"| {e.What} | {(e.Part == OwnedPart.Function ? "everything: no quiesce, decode-off, reset or restore" : "Bus Master, memory and I/O decode: as found")} | {e.Why} | {e.Kernel} |\n");
        return sb.ToString();
    }
}
