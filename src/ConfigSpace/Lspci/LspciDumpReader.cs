using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Lspci;

/// <summary>
/// Reads <c>lspci -x/-xxx/-xxxx</c> text (with or without the decoded <c>-v</c> lines) the way pciutils' lib/dump.c
/// does: a line <c>[dddd:]bb:dd.f </c> starts a device (the domain 4 to 6 hex digits), lines <c>OFF: xx xx ...</c>
/// fill it, a blank line ends it, other lines are ignored. Stricter than lspci where lspci would silently drop data:
/// a hex row with a bad byte or an offset past 4096 (the device it belongs to is left out, its bytes being
/// untrustworthy), an impossible address, a row outside a device, binary junk or an overlong line is a
/// <see cref="DumpProblem"/> naming the line, and reading goes on with every other device. Bytes a dump does not hold read as 0xff, as
/// lspci's dump backend fills them; the captured length is rounded up to 64, 256 or 4096. Which bytes the rows really
/// held is kept (<see cref="LspciFunction.Known"/>): bytes of a short or missing row are unknown, never the device's.
/// </summary>
public static class LspciDumpReader
{
    /// <summary>Lines longer than this are reported and skipped without being held in memory (lspci stops near 254).</summary>
    public const int MaxLineLength = 4096;

    public static LspciDump ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static LspciDump Parse(string text, string source = "<text>") =>
        Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), source);

    public static LspciDump Read(Stream stream, string source)
    {
        var problems = new List<DumpProblem>();
        var functions = new DumpFunctionList<LspciFunction>(source, problems);
        Builder? current = null;
        bool skipping = false; // inside a device whose address line was impossible: its rows are not ours to read

        void Finish()
        {
            if (current is null) return;
            if (current.Broken)
            {
                current = null;
                return;
            }
            var f = current.Build();
            functions.Add(f.Address, f.Line, f);
            current = null;
        }

        foreach (var (lineNo, line, problem) in BoundedLines(stream))
        {
            if (problem is not null)
            {
                problems.Add(new DumpProblem(source, lineNo, problem));
                continue;
            }
            if (line.Length == 0) { Finish(); skipping = false; continue; }
            if (HasDeviceLineShape(line, out var token))
            {
                Finish();
                skipping = !PciAddress.TryParse(token, out var address);
                if (skipping) problems.Add(new DumpProblem(source, lineNo, $"'{token}' is not a possible PCI address (device 00-1f, function 0-7); its rows are skipped"));
                else current = new Builder(address, lineNo);
                continue;
            }
            if (IsHexRowPrefix(line, out int offset, out int dataStart))
            {
                if (current is null)
                {
                    if (!skipping) problems.Add(new DumpProblem(source, lineNo, "hex row outside a device (no address line before it)"));
                    continue;
                }
                if (current.Broken) continue;
                string? error = current.AddRow(offset, line.AsSpan(dataStart));
                if (error is not null)
                    problems.Add(new DumpProblem(source, lineNo, $"{error}; {current.Address} (line {current.Line}) is left out"));
            }
            // Any other line is a decoded -v line or commentary: ignored, as lspci ignores it.
        }
        Finish();
        return new LspciDump(source, functions.Items, problems);
    }

    private sealed class Builder(PciAddress address, int line)
    {
        private readonly byte[] _data = CreateFilled();
        private readonly KnownBytes _known = KnownBytes.None(Header.ExtConfigSize);
        private int _length;

        public PciAddress Address => address;
        public int Line => line;

        /// <summary>A row of this device was malformed: its bytes cannot be trusted, so the device is not returned.</summary>
        public bool Broken { get; private set; }

        private static byte[] CreateFilled()
        {
            var b = new byte[Header.ExtConfigSize];
            b.AsSpan().Fill(0xff);
            return b;
        }

        public string? AddRow(int offset, ReadOnlySpan<char> rest)
        {
            int i = offset;
            int pos = 0;
            while (pos < rest.Length)
            {
                if (rest[pos] == ' ') { pos++; continue; }
                if (pos + 1 >= rest.Length || !char.IsAsciiHexDigit(rest[pos]) || !char.IsAsciiHexDigit(rest[pos + 1])
                    || (pos + 2 < rest.Length && rest[pos + 2] != ' '))
                    return Fail($"bad byte '{Excerpt(rest[pos..])}' in the row at offset 0x{offset:x}");
                if (i >= Header.ExtConfigSize)
                    return Fail($"offset 0x{i:x} is past the 4096-byte configuration space");
                _known.Add(i, 1);
                _data[i++] = (byte)(HexValue(rest[pos]) << 4 | HexValue(rest[pos + 1]));
                pos += 2;
            }
            if (i > _length) _length = i;
            return null;
        }

        private string Fail(string message)
        {
            Broken = true;
            return message;
        }

        public LspciFunction Build()
        {
            int size = _length <= 64 ? 64 : _length <= Header.StdConfigSize ? Header.StdConfigSize : Header.ExtConfigSize;
            return new LspciFunction(address, _data.AsSpan(0, size).ToArray(), line, _known.Clip(size));
        }
    }

    private static string Excerpt(ReadOnlySpan<char> s) => s.Length > 8 ? string.Concat(s[..8], "...") : s.ToString();

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>
    /// lspci's device line (dump_validate): <c>bb:dd.f </c> or <c>dddd:bb:dd.f </c> with 4 or 5 domain digits (6 also
    /// accepted here), then a space; the rest of the line is a description and ignored.
    /// </summary>
    internal static bool TryParseDeviceLine(ReadOnlySpan<char> line, out PciAddress address)
    {
        address = default;
        return HasDeviceLineShape(line, out var token) && PciAddress.TryParse(token, out address);
    }

    /// <summary>The shape alone; an address of that shape can still be impossible (device 0x20 and up, function 8 and up).</summary>
    private static bool HasDeviceLineShape(ReadOnlySpan<char> line, out ReadOnlySpan<char> token)
    {
        int space = line.IndexOf(' ');
        token = space < 0 ? default : line[..space];
        if (space < 0) return false; // lspci requires the space after the address
        int domainDigits = token.Length - 7 - 1; // "bb:dd.f" is 7, plus the colon after the domain
        return token.Length == 7 ? Matches(token, "##:##.#")
            : domainDigits is >= 4 and <= 6 && token[domainDigits] == ':' && Matches(token[(domainDigits + 1)..], "##:##.#")
                && token[..domainDigits].IndexOfAnyExcept(HexChars) < 0;
    }

    private const string HexChars = "0123456789abcdefABCDEF";

    private static bool Matches(ReadOnlySpan<char> s, string pattern)
    {
        if (s.Length != pattern.Length) return false;
        for (int i = 0; i < s.Length; i++)
            if (pattern[i] == '#' ? !char.IsAsciiHexDigit(s[i]) : pattern[i] != s[i]) return false;
        return true;
    }

    /// <summary>A row <c>OFF: </c>: 2 to 8 hex digits (as lspci), a colon, then a space or the end of the line.</summary>
    private static bool IsHexRowPrefix(ReadOnlySpan<char> line, out int offset, out int dataStart)
    {
        offset = 0;
        dataStart = 0;
        int colon = line.IndexOf(':');
        if (colon is < 2 or > 8) return false;
        for (int k = 0; k < colon; k++)
            if (!char.IsAsciiHexDigit(line[k])) return false;
        if (colon + 1 < line.Length && line[colon + 1] != ' ') return false;
        long value = 0;
        for (int k = 0; k < colon; k++) value = value << 4 | (uint)HexValue(line[k]);
        offset = (int)Math.Min(value, int.MaxValue);
        dataStart = colon + 1;
        return true;
    }

    /// <summary>
    /// Splits a stream into lines without ever holding more than <see cref="MaxLineLength"/> characters of one:
    /// an overlong line or one with control bytes yields a problem instead of text. CRLF is accepted.
    /// </summary>
    private static IEnumerable<(int Line, string Text, string? Problem)> BoundedLines(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        var line = new char[MaxLineLength];
        int length = 0, lineNo = 1;
        bool overlong = false, binary = false;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            while (start < read)
            {
                // A whole piece of line at a time (memchr-speed search), so a 100 MB line is skipped in milliseconds.
                int nl = buffer.AsSpan(start, read - start).IndexOf((byte)'\n');
                int end = nl < 0 ? read : start + nl;
                Append(buffer, start, end);
                if (nl < 0) break;
                yield return Emit();
                lineNo++;
                length = 0;
                overlong = binary = false;
                start = end + 1;
            }
        }
        if (length > 0 || overlong) yield return Emit();

        void Append(byte[] bytes, int from, int to)
        {
            if (overlong) return;
            var piece = bytes.AsSpan(from, to - from);
            if (length + piece.Length > MaxLineLength) { overlong = true; return; }
            if (!binary && (piece.IndexOfAnyInRange((byte)0, (byte)0x1f) >= 0 || piece.Contains((byte)0x7f)))
                foreach (byte b in piece)
                    if ((b < 0x20 && b != (byte)'\t' && b != (byte)'\r') || b == 0x7f) { binary = true; break; }
            System.Text.Encoding.Latin1.GetChars(piece, line.AsSpan(length));
            length += piece.Length;
        }

        (int, string, string?) Emit()
        {
            if (overlong) return (lineNo, "", $"line longer than {MaxLineLength} characters");
            if (binary) return (lineNo, "", "binary data (control characters) in a text dump");
            int n = length;
            if (n > 0 && line[n - 1] == '\r') n--;
            return (lineNo, new string(line, 0, n), null);
        }
    }
}
