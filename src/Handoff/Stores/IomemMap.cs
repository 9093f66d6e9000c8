using System.Globalization;
using System.IO.Abstractions;

namespace Preconfig.Handoff.Stores;

/// <summary>One line of <c>/proc/iomem</c>: an inclusive physical range, its name and its nesting depth.</summary>
public sealed record IomemRange(ulong Start, ulong End, string Name, int Depth)
{
    public bool Overlaps(ulong start, ulong end) => Start <= end && start <= End;
    public override string ToString() => $"\"{Name}\" {Start:x}-{End:x}";
}

/// <summary>
/// <c>/proc/iomem</c> (the kernel's resource tree, kernel/resource.c <c>r_show</c>: <c>start-end : name</c>, two spaces
/// of indent per level) and the one question a <c>devmem:</c> store asks of it before writing physical memory: is
/// this range memory firmware or <c>memmap=SIZE$OFFSET</c> took away from the kernel ("Reserved": e820's
/// E820_TYPE_RESERVED, arch/x86/kernel/e820.c <c>e820_type_to_string</c>; "reserved" on older kernels), and
/// nothing else's: not System RAM, not the crash kernel's reservation, not a device's registers.
/// </summary>
public sealed class IomemMap
{
    public const string DefaultPath = "/proc/iomem";

    public IReadOnlyList<IomemRange> Ranges { get; }
    public string Source { get; }

    public IomemMap(IReadOnlyList<IomemRange> ranges, string source) => (Ranges, Source) = (ranges, source);

    /// <summary>Reads the map. Throws <see cref="InvalidDataException"/> naming the line that is not <c>start-end : name</c>.</summary>
    public static IomemMap Load(IFileSystem fs, string path = DefaultPath)
    {
        var ranges = new List<IomemRange>();
        int number = 0;
        foreach (var line in fs.File.ReadAllLines(path))
        {
            number++;
            if (line.Length == 0) continue;
            string trimmed = line.TrimStart(' ');
            int dash = trimmed.IndexOf('-'), colon = trimmed.IndexOf(" : ", StringComparison.Ordinal);
            if (dash <= 0 || colon < dash
                || !ulong.TryParse(trimmed.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
                || !ulong.TryParse(trimmed.AsSpan(dash + 1, colon - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end))
                throw new InvalidDataException($"{path}:{number}: not 'start-end : name': {line}");
            ranges.Add(new IomemRange(start, end, trimmed[(colon + 3)..], (line.Length - trimmed.Length) / 2));
        }
        return new IomemMap(ranges, path);
    }

    private static bool IsReserved(IomemRange r) => r.Name.Equals("Reserved", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Why writing <paramref name="length"/> bytes at physical <paramref name="offset"/> is refused, or null when the
    /// range lies inside one Reserved range and overlaps nothing but Reserved ranges.
    /// </summary>
    public string? Refusal(long offset, long length)
    {
        if (Ranges.Count > 0 && Ranges.All(r => r.Start == 0 && r.End == 0))
            return $"{Source} shows every address as 0 (it is read without CAP_SYS_ADMIN): cannot check the range";
        ulong start = (ulong)offset, end = checked((ulong)offset + (ulong)length - 1);
        // Anything else there (System RAM, "Crash kernel", a device's BAR, "PCI ECAM", "IOAPIC 0", a driver's claim) is
        // someone else's memory, whatever encloses it.
        // The deepest such entry is the most telling ("Crash kernel" rather than the System RAM around it).
        if (Ranges.Where(r => !IsReserved(r) && r.Overlaps(start, end)).MaxBy(r => r.Depth) is { } conflict)
            return $"0x{start:x}-0x{end:x} overlaps {conflict} in {Source}";
        if (!Ranges.Any(r => IsReserved(r) && r.Start <= start && end <= r.End))
            return $"0x{start:x}-0x{end:x} is not inside one \"Reserved\" range of {Source} (reserve it with memmap=SIZE$OFFSET on the x86 kernel command line, or a no-map /reserved-memory node in the arm64 device tree)";
        return null;
    }
}
