using System.Text;
using Preconfig.Capture.Earlydump;

namespace Preconfig.Tests.Capture;

/// <summary>Writes kernel logs as the kernel prints pci=earlydump, from real dumps, with the prefixes loggers add.</summary>
public static class EarlydumpLogs
{
    public enum Prefix { None, Dmesg, Journal }

    internal static LspciDump RealDump(string relative) =>
        LspciDumpReader.ReadFile(Path.Combine(RepoPaths.RealDumps, relative));

    /// <summary>The device line and rows of one function (first 256 bytes), each line without a logger prefix.</summary>
    internal static IEnumerable<string> DeviceLines(LspciFunction f, EarlydumpForm form)
    {
        var cfg = f.Config.AsSpan(0, Math.Min(256, f.Config.Length)).ToArray();
        yield return form == EarlydumpForm.X86Early ? $"pci {f.Address} config space:" : $"pci {f.Address}: config space:";
        for (int off = 0; off < cfg.Length; off += 16)
        {
            string bytes = string.Join(" ", cfg.Skip(off).Take(16).Select(b => b.ToString("x2")));
            yield return form == EarlydumpForm.X86Early ? $"  {off:x2}: {bytes}" : $"{off:x8}: {bytes}";
        }
    }

    internal static string WithPrefix(string message, Prefix prefix, int n) => prefix switch
    {
        Prefix.Dmesg => $"[{n * 0.000137,12:F6}] {message}",
        Prefix.Journal => $"Nov 21 05:00:{n % 60:00} testhost kernel: {message}",
        _ => message,
    };

    /// <summary>A whole log: boot noise, then each device, with an unrelated line after every fourth row.</summary>
    internal static string Log(IEnumerable<LspciFunction> functions, EarlydumpForm form, Prefix prefix)
    {
        var sb = new StringBuilder();
        int n = 0;
        void Line(string m) => sb.Append(WithPrefix(m, prefix, n++)).Append('\n');
        Line("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)");
        Line("Command line: BOOT_IMAGE=/vmlinuz root=/dev/sda1 pci=earlydump");
        Line("ACPI: RSDP 0x00000000000F05B0 000024 (v02 ALASKA)");
        foreach (var f in functions)
        {
            int row = 0;
            foreach (var l in DeviceLines(f, form))
            {
                Line(l);
                if (++row % 4 == 0) Line("clocksource: tsc: mask: 0xffffffffffffffff max_cycles: 0x2b3e459bf4c");
            }
        }
        Line("PCI: Using configuration type 1 for base access");
        return sb.ToString();
    }
}
