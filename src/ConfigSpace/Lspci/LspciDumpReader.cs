using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace.Lspci;

/// <summary>
/// Reads <c>lspci -x/-xxx/-xxxx</c> text (with or without the decoded <c>-v</c> lines) the way pciutils' lib/dump.c
/// does: a line <c>[dddd:]bb:dd.f </c> starts a device (the domain 4 to 6 hex digits), lines <c>OFF: xx xx ...</c>
/// fill it, a blank line ends it, other lines are ignored. Stricter than lspci where lspci would silently drop data:
/// a hex row with a bad byte, an offset past 4096, a row outside a device, binary junk or an overlong line is a
/// <see cref="DumpProblem"/> naming the line, and reading goes on. Bytes a dump does not hold read as 0xff, as
/// lspci's dump backend fills them; the captured length is rounded up to 64, 256 or 4096.
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
        var functions = new List<LspciFunction>();
        var problems = new List<DumpProblem>();
        var index = new Dictionary<PciAddress, int>();
        Builder? current = null;

        void Finish()
        {
            if (current is null) return;
            var f = current.Build();
            if (index.TryGetValue(f.Address, out int at))
            {
                problems.Add(new DumpProblem(source, f.Line, $"{f.Address} is listed again (first at line {functions[at].Line}); the later one is kept"));
                functions[at] = f;
            }
            else
            {
                index[f.Address] = functions.Count;
                functions.Add(f);
            }
            current = null;
        }

        foreach (var (lineNo, line, problem) in BoundedLines(stream))
        {
            if (problem is not null)
            {
                problems.Add(new DumpProblem(source, lineNo, problem));
                continue;
            }
            if (line.Length == 0) { Finish(); continue; }
            if (TryParseDeviceLine(line, out var address))
            {
                Finish();
                current = new Builder(address, lineNo);
                continue;
            }
            if (IsHexRowPrefix(line, out int offset, out int dataStart))
            {
                if (current is null)
                {
                    problems.Add(new DumpProblem(source, lineNo, "hex row outside a device (no address line before it)"));
                    continue;
                }
                string? error = current.AddRow(offset, line.AsSpan(dataStart));
                if (error is not null) problems.Add(new DumpProblem(source, lineNo, error));
            }
            // Any other line is a decoded -v line or commentary: ignored, as lspci ignores it.
        }
        Finish();
        return new LspciDump(source, functions, problems);
    }

    private sealed class Builder(PciAddress address, int line)
    {
        private readonly byte[] _data = CreateFilled();
        private int _length;

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
            int count = 0;
            while (pos < rest.Length)
            {
                if (rest[pos] == ' ') { pos++; continue; }
                if (pos + 1 >= rest.Length || !char.IsAsciiHexDigit(rest[pos]) || !char.IsAsciiHexDigit(rest[pos + 1])
                    || (pos + 2 < rest.Length && rest[pos + 2] != ' '))
                    return $"bad byte '{Excerpt(rest[pos..])}' in the row at offset 0x{offset:x}";
                if (i >= Header.ExtConfigSize)
                    return $"offset 0x{i:x} is past the 4096-byte configuration space";
                if (count == 16)
                    return $"more than 16 bytes in the row at offset 0x{offset:x}";
                _data[i++] = (byte)(HexValue(rest[pos]) << 4 | HexValue(rest[pos + 1]));
                count++;
                pos += 2;
            }
            if (i > _length) _length = i;
            return null;
        }

        public LspciFunction Build()
        {
            int size = _length <= 64 ? 64 : _length <= Header.StdConfigSize ? Header.StdConfigSize : Header.ExtConfigSize;
            return new LspciFunction(address, _data.AsSpan(0, size).ToArray(), line);
        }
    }

    private static string Excerpt(ReadOnlySpan<char> s) => s.Length > 8 ? string.Concat(s[..8], "...") : s.ToString();

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>lspci's device line: <c>bb:dd.f </c> or <c>dddd:bb:dd.f </c> with 4 to 6 domain digits, then a space or end.</summary>
    internal static bool TryParseDeviceLine(ReadOnlySpan<char> line, out PciAddress address)
    {
        address = default;
        int space = line.IndexOf(' ');
        var token = space < 0 ? line : line[..space];
        if (space < 0) return false; // lspci requires the space after the address
        // Shape check first (dump_validate): ##:##.# or ####..######:##:##.#
        int colons = 0;
        foreach (char c in token) if (c == ':') colons++;
        if (colons == 1)
        {
            if (token.Length != 7 || token[2] != ':' || token[5] != '.') return false;
        }
        else if (colons == 2)
        {
            int domainLength = token.IndexOf(':');
            if (domainLength is < 4 or > 6 || token.Length != domainLength + 8) return false;
            if (token[domainLength + 3] != ':' || token[domainLength + 6] != '.') return false;
        }
        else return false;
        return PciAddress.TryParse(token, out address);
    }

    /// <summary>A row <c>OF: </c> or <c>OFF: </c> (two or three hex digits, a colon, a space or end of line).</summary>
    private static bool IsHexRowPrefix(ReadOnlySpan<char> line, out int offset, out int dataStart)
    {
        offset = 0;
        dataStart = 0;
        int colon = line.IndexOf(':');
        if (colon is < 2 or > 3) return false;
        for (int k = 0; k < colon; k++)
            if (!char.IsAsciiHexDigit(line[k])) return false;
        if (colon + 1 < line.Length && line[colon + 1] != ' ') return false;
        for (int k = 0; k < colon; k++) offset = offset << 4 | HexValue(line[k]);
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
            for (int k = 0; k < read; k++)
            {
                byte b = buffer[k];
                if (b == (byte)'\n')
                {
                    yield return Emit();
                    lineNo++;
                    length = 0;
                    overlong = binary = false;
                    continue;
                }
                if (overlong) continue;
                if (length == MaxLineLength) { overlong = true; continue; }
                if ((b < 0x20 && b != (byte)'\t' && b != (byte)'\r') || b == 0x7f) binary = true;
                line[length++] = (char)b;
            }
        }
        if (length > 0 || overlong) yield return Emit();

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
