using System.Globalization;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Capture.Earlydump;

/// <summary>Which of the kernel's two earlydump layouts a device was printed in.</summary>
public enum EarlydumpForm
{
    /// <summary>arch/x86/pci/early.c before 4.18: <c>pci 0000:00:1f.2 config space:</c>, rows <c>  00: 86 80 …</c>.</summary>
    X86Early,
    /// <summary>drivers/pci/probe.c (all arches): <c>pci 0000:00:1f.2: config space:</c>, print_hex_dump rows <c>00000000: 86 80 …</c>.</summary>
    HexDump,
}

/// <summary>
/// One function's header as the kernel printed it. <see cref="Config"/> is 256 bytes, or 64 when the log lost rows
/// above the standard header (the record is then <see cref="Truncated"/>).
/// </summary>
public sealed record EarlydumpDevice(PciAddress Address, byte[] Config, int Line, EarlydumpForm Form, bool Truncated);

/// <summary>Every device found in a log (later listings of an address replace earlier ones) and every problem.</summary>
public sealed record EarlydumpLog(string Source, IReadOnlyList<EarlydumpDevice> Devices, IReadOnlyList<DumpProblem> Problems);

/// <summary>
/// Reads the kernel's <c>pci=earlydump</c> output out of a log that holds much else: <c>dmesg</c> (with or without
/// <c>[    0.123456]</c> timestamps, also <c>-T</c> and caller-id brackets), a journal or syslog file
/// (<c>Nov 21 05:00:00 host kernel: </c>), a serial console capture (<c>&lt;6&gt;</c> levels) or /dev/kmsg records.
/// <para>
/// Both layouts are accepted (see <see cref="EarlydumpForm"/>). A device line opens a device; its rows must follow in
/// offset order (unrelated lines may sit between them, and a row that does not continue the open device, such as
/// another driver's hex dump, is ignored). A device is done after 256 bytes. A row with fewer than 16 bytes, or a
/// device that stops early, is a problem naming the line: the bytes before the gap are kept when the whole 64-byte
/// header is there (the record is then 64 bytes and truncated), else the device is dropped. Nothing is invented.
/// </para>
/// </summary>
public static class EarlydumpParser
{
    /// <summary>Longer lines are reported and skipped (no earlydump line comes near it).</summary>
    public const int MaxLineLength = 4096;

    private const int RowBytes = 16;

    public static EarlydumpLog Read(TextReader reader, string source)
    {
        return Parse(Lines(), source);

        IEnumerable<(int, string)> Lines()
        {
            int n = 0;
            for (string? line; (line = reader.ReadLine()) is not null;)
                yield return (++n, line);
        }
    }

    public static EarlydumpLog Parse(string text, string source = "<text>") => Read(new StringReader(text), source);

    /// <summary>Parses numbered lines (a file's line numbers, or kmsg sequence numbers).</summary>
    public static EarlydumpLog Parse(IEnumerable<(int Line, string Text)> lines, string source)
    {
        var problems = new List<DumpProblem>();
        var devices = new DumpFunctionList<EarlydumpDevice>(source, problems);
        Pending? open = null;

        void Close(int line, string? why)
        {
            if (open is null) return;
            var p = open;
            open = null;
            if (p.Length < Header.StdConfigSize && p.Complaint is null)
                problems.Add(new DumpProblem(source, line, why ?? $"{p.Address}: the dump stops after {p.Length} of 256 bytes"));
            if (p.Length < Header.Size)
            {
                problems.Add(new DumpProblem(source, p.Line, $"{p.Address}: fewer than 64 bytes in the log; device dropped"));
                return;
            }
            bool truncated = p.Length < Header.StdConfigSize;
            var device = new EarlydumpDevice(p.Address, p.Bytes.AsSpan(0, truncated ? Header.Size : Header.StdConfigSize).ToArray(),
                p.Line, p.Form, truncated);
            devices.Add(p.Address, p.Line, device);
        }

        int last = 0;
        foreach (var (lineNo, raw) in lines)
        {
            last = lineNo;
            if (raw.Length > MaxLineLength)
            {
                problems.Add(new DumpProblem(source, lineNo, $"line longer than {MaxLineLength} characters; skipped"));
                continue;
            }
            var message = StripPrefixes(raw.AsSpan());
            if (TryParseDeviceLine(message, out var address, out var form))
            {
                Close(lineNo, open is null ? null : $"{open.Address}: the dump stops after {open.Length} of 256 bytes (next device starts here)");
                open = new Pending(address, lineNo, form);
                continue;
            }
            if (open is null || open.Length >= Header.StdConfigSize) continue;
            if (!TryParseRow(message, open.Form, out int offset, out var data)) continue;
            if (offset != open.Length) continue; // not this device's next row: someone else's hex dump
            if (data.Count > RowBytes) continue;
            if (data.Count < RowBytes)
            {
                // A partial row is not trusted (the rest of the line was lost): keep whole rows only.
                string what = $"{open.Address}: truncated row at offset 0x{offset:x2} ({data.Count} of {RowBytes} bytes)";
                problems.Add(new DumpProblem(source, lineNo, what));
                open.Complaint = what;
                Close(lineNo, what);
                continue;
            }
            data.CopyTo(open.Bytes, open.Length);
            open.Length += RowBytes;
            if (open.Length == Header.StdConfigSize) Close(lineNo, null);
        }
        Close(last, open is null ? null : $"{open.Address}: the log ends after {open.Length} of 256 bytes");
        devices.Items.Sort((a, b) => a.Address.CompareTo(b.Address));
        return new EarlydumpLog(source, devices.Items, problems);
    }

    private sealed class Pending(PciAddress address, int line, EarlydumpForm form)
    {
        public PciAddress Address { get; } = address;
        public int Line { get; } = line;
        public EarlydumpForm Form { get; } = form;
        public byte[] Bytes { get; } = new byte[Header.StdConfigSize];
        public int Length { get; set; }
        public string? Complaint { get; set; }
    }

    /// <summary>
    /// Removes what loggers put before the kernel's message: a journal or syslog head up to <c>kernel: </c>, a
    /// console level <c>&lt;6&gt;</c>, and up to two bracketed heads (timestamp, caller id <c>[    T1]</c>). The message's
    /// own leading spaces (the old rows' indentation) are left alone apart from the one separating space.
    /// </summary>
    internal static ReadOnlySpan<char> StripPrefixes(ReadOnlySpan<char> line)
    {
        if (line.EndsWith("\r")) line = line[..^1];
        int kernel = line.IndexOf(" kernel: ");
        if (kernel >= 0 && kernel < 64) line = line[(kernel + " kernel: ".Length)..];
        if (line.Length > 2 && line[0] == '<')
        {
            int close = line.IndexOf('>');
            if (close is > 1 and <= 4 && IsDigits(line[1..close])) line = line[(close + 1)..];
        }
        for (int k = 0; k < 2 && line.Length > 0 && line[0] == '['; k++)
        {
            int close = line.IndexOf(']');
            if (close < 0 || close > 40) break;
            line = line[(close + 1)..];
            if (line.Length > 0 && line[0] == ' ') line = line[1..];
        }
        return line;
    }

    /// <summary><c>pci DDDD:BB:DD.F config space:</c> (x86 early) or <c>pci DDDD:BB:DD.F: config space:</c> (probe.c).</summary>
    internal static bool TryParseDeviceLine(ReadOnlySpan<char> message, out PciAddress address, out EarlydumpForm form)
    {
        address = default;
        form = default;
        message = message.TrimStart(' ');
        if (!message.StartsWith("pci ")) return false;
        var rest = message[4..];
        int space = rest.IndexOf(' ');
        if (space < 0) return false;
        var token = rest[..space];
        if (!rest[(space + 1)..].TrimEnd(' ').SequenceEqual("config space:")) return false;
        form = EarlydumpForm.X86Early;
        if (token.EndsWith(":"))
        {
            token = token[..^1];
            form = EarlydumpForm.HexDump;
        }
        return token.Count(':') == 2 && PciAddress.TryParse(token, out address);
    }

    /// <summary>
    /// A row of the given form: <c>OO: xx …</c> (two hex digits, any indentation) or <c>OOOOOOOO: xx …</c> (eight).
    /// The bytes are returned as found; the caller decides what a short row means.
    /// </summary>
    internal static bool TryParseRow(ReadOnlySpan<char> message, EarlydumpForm form, out int offset, out List<byte> data)
    {
        offset = 0;
        data = [];
        message = message.TrimStart(' ').TrimEnd(' ');
        int digits = form == EarlydumpForm.X86Early ? 2 : 8;
        if (message.Length < digits + 1 || message[digits] != ':') return false;
        if (!int.TryParse(message[..digits], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out offset)) return false;
        var rest = message[(digits + 1)..];
        while (rest.Length > 0)
        {
            if (rest[0] != ' ' || rest.Length < 3) return false;
            if (!char.IsAsciiHexDigit(rest[1]) || !char.IsAsciiHexDigit(rest[2])) return false;
            if (rest.Length > 3 && rest[3] != ' ') return false;
            data.Add(byte.Parse(rest[1..3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            rest = rest[3..];
        }
        return data.Count > 0;
    }

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (char c in s) if (!char.IsAsciiDigit(c)) return false;
        return s.Length > 0;
    }
}
