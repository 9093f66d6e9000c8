using System.Globalization;
using System.IO.Abstractions;
using System.Runtime.InteropServices;

namespace Preconfig.Handoff.Stores;

/// <summary>
/// Refuses a devmem: range that the kernel counts as System RAM, before /dev/mem is opened. Such a range is memory the
/// running kernel allocates (a handoff written there is overwritten, and one read there is whatever the kernel put
/// there), and with STRICT_DEVMEM (Debian's kernels, x86 and arm64) /dev/mem refuses it anyway with a bare EPERM
/// (devmem_is_allowed: page_is_ram). The range must be taken out of System RAM at boot: on x86 with memmap=SIZE$OFFSET
/// (e820 "reserved"); arm64 has no memmap=, there it must be a device-tree /reserved-memory node with no-map (the
/// kernel then lists it as "reserved", arch/arm64/kernel/setup.c request_standard_resources) or memory the firmware
/// keeps for itself. /proc/iomem lines read "start-end : name", nested by two spaces (kernel/resource.c r_show); read
/// without CAP_SYS_ADMIN every address shows as 0, and then nothing can be told and nothing is refused.
/// </summary>
public static class SystemRam
{
    public const string DefaultIomem = "/proc/iomem";

    /// <summary>Throws <see cref="UnauthorizedAccessException"/> naming the /proc/iomem line when [offset, offset+size)
    /// overlaps System RAM. A missing or unreadable <paramref name="iomem"/> is no objection.</summary>
    public static void RequireOutside(IFileSystem fs, string iomem, string spec, long offset, long size, Architecture? arch = null)
    {
        string[] lines;
        try { lines = fs.File.ReadAllLines(iomem); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        ulong start = (ulong)offset, end = (ulong)offset + (ulong)size - 1;
        for (int i = 0; i < lines.Length; i++)
        {
            if (Parse(lines[i]) is not var (first, last, name) || name != "System RAM") continue;
            if (first == 0 && last == 0) return;   // addresses hidden from this reader
            if (first > end || last < start) continue;
            string how = (arch ?? RuntimeInformation.ProcessArchitecture) == Architecture.Arm64
                ? "arm64 has no memmap=: reserve it with a device-tree /reserved-memory node marked no-map, or use an initrd: or file: store"
                : $"reserve it at boot with memmap=0x{size:x}$0x{offset:x} on the kernel command line, or use an initrd: or file: store";
            throw new UnauthorizedAccessException(
                $"store '{spec}': 0x{offset:x}-0x{offset + size - 1:x} is System RAM ({iomem} line {i + 1}: '{lines[i].Trim()}'): {how}");
        }
    }

    private static (ulong First, ulong Last, string Name)? Parse(string line)
    {
        int dash = line.IndexOf('-'), colon = line.IndexOf(" : ", StringComparison.Ordinal);
        if (dash < 0 || colon < dash) return null;
        var style = NumberStyles.AllowHexSpecifier;
        if (!ulong.TryParse(line.AsSpan(0, dash).Trim(), style, CultureInfo.InvariantCulture, out ulong first)) return null;
        if (!ulong.TryParse(line.AsSpan(dash + 1, colon - dash - 1).Trim(), style, CultureInfo.InvariantCulture, out ulong last)) return null;
        return (first, last, line[(colon + 3)..].Trim());
    }
}
