using System.Globalization;
using System.Text;

namespace Preconfig.Inspection;

/// <summary>
/// Names from the pci.ids database (Debian's pciutils ships <c>/usr/share/misc/pci.ids</c>). Lazy and cheap: the file
/// is read once as bytes on the first lookup and only the start of each vendor and class line is indexed; a device's
/// name is found by scanning its vendor's block. Without the file every lookup returns null and callers print hex.
/// Format: <c>vvvv  Vendor</c>, <c>\tdddd  Device</c>, <c>\t\tssss ssss  Subsystem</c>, <c>C cc  Class</c>,
/// <c>\tss  Subclass</c>, <c>\t\tpp  Prog-if</c>; <c>#</c> starts a comment.
/// </summary>
public sealed class PciIds
{
    public static readonly string[] DefaultPaths = ["/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"];

    private readonly string? _path;
    private byte[]? _data;
    private Dictionary<ushort, int>? _vendors;   // vendor id -> offset of the line after the vendor line
    private Dictionary<byte, int>? _classes;     // base class -> offset of the line after the class line
    private readonly Dictionary<ushort, Dictionary<ushort, int>> _devicesByVendor = [];   // device id -> offset of its line
    private readonly Dictionary<byte, Dictionary<ushort, int>> _subclassesByClass = [];   // subclass -> offset of its line

    public PciIds(string? path) => _path = path;

    /// <summary>The first default path that exists, or a database that knows no names.</summary>
    public static PciIds System()
    {
        foreach (var p in DefaultPaths)
            if (File.Exists(p)) return new PciIds(p);
        return new PciIds(null);
    }

    public string? Path => _path;

    public string? Vendor(ushort vendor)
    {
        Index();
        return _vendors!.TryGetValue(vendor, out int at) ? LineName(LineBefore(at), 4) : null;
    }

    public string? Device(ushort vendor, ushort device)
    {
        Index();
        if (!_devicesByVendor.TryGetValue(vendor, out var devices))
        {
            // First lookup for this vendor: index its block once (Intel's has thousands of lines).
            devices = _vendors!.TryGetValue(vendor, out int at) ? IndexChildren(at, 4) : [];
            _devicesByVendor[vendor] = devices;
        }
        return devices.TryGetValue(device, out int name) ? LineName(LineAt(name), 5) : null;
    }

    /// <summary>The subclass name ("Ethernet controller"), or the base class name when the subclass is unknown.</summary>
    public string? Class(uint classCode)
    {
        Index();
        byte baseClass = (byte)(classCode >> 16);
        if (!_classes!.TryGetValue(baseClass, out int at)) return null;
        if (!_subclassesByClass.TryGetValue(baseClass, out var subclasses))
            _subclassesByClass[baseClass] = subclasses = IndexChildren(at, 2);
        return subclasses.TryGetValue((ushort)((classCode >> 8) & 0xff), out int line) ? LineName(LineAt(line), 3) : LineName(LineBefore(at), 4);
    }

    private void Index()
    {
        if (_vendors is not null) return;
        _vendors = [];
        _classes = [];
        if (_path is null) { _data = []; return; }
        try { _data = File.ReadAllBytes(_path); }
        catch (IOException) { _data = []; return; }
        catch (UnauthorizedAccessException) { _data = []; return; }
        var data = _data.AsSpan();
        int pos = 0;
        while (pos < data.Length)
        {
            int nl = data[pos..].IndexOf((byte)'\n');
            int end = nl < 0 ? data.Length : pos + nl;
            var line = data[pos..end];
            if (line.Length >= 6 && IsHex(line[..4]) && line[4] == ' ')
                _vendors.TryAdd((ushort)Hex(line[..4]), end + 1);
            else if (line.Length >= 5 && line[0] == (byte)'C' && line[1] == (byte)' ' && IsHex(line.Slice(2, 2)))
                _classes.TryAdd((byte)Hex(line.Slice(2, 2)), end + 1);
            pos = end + 1;
        }
    }

    private ReadOnlySpan<byte> LineBefore(int nextLineStart)
    {
        var data = _data.AsSpan(0, nextLineStart - 1);
        int start = data.LastIndexOf((byte)'\n') + 1;
        return data[start..];
    }

    private ReadOnlySpan<byte> LineAt(int start)
    {
        var data = _data.AsSpan(start);
        int nl = data.IndexOf((byte)'\n');
        return nl < 0 ? data : data[..nl];
    }

    /// <summary>Offsets of the one-tab child lines (<c>\tdddd  Name</c>, <c>\tss  Subclass</c>) of the block at <paramref name="start"/>.</summary>
    private Dictionary<ushort, int> IndexChildren(int start, int digits)
    {
        var children = new Dictionary<ushort, int>();
        var data = _data.AsSpan();
        int pos = start;
        while (pos < data.Length)
        {
            int nl = data[pos..].IndexOf((byte)'\n');
            int end = nl < 0 ? data.Length : pos + nl;
            var line = data[pos..end];
            if (line.Length > 0 && line[0] != (byte)'#')
            {
                if (line[0] != (byte)'\t') break;   // the next vendor or class
                if (line.Length > digits + 2 && line[1] != (byte)'\t' && IsHex(line.Slice(1, digits)))
                    children.TryAdd((ushort)Hex(line.Slice(1, digits)), pos);
            }
            pos = end + 1;
        }
        return children;
    }

    /// <summary>The text after the id and its two spaces (C lines carry "C " before the id).</summary>
    private static string LineName(ReadOnlySpan<byte> line, int afterId)
    {
        if (line.Length > 0 && line[0] == (byte)'C') line = line[2..];
        var name = afterId < line.Length ? line[afterId..] : [];
        return Encoding.UTF8.GetString(name.Trim((byte)' ').TrimEnd((byte)'\r'));
    }

    private static bool IsHex(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
            if (!char.IsAsciiHexDigit((char)b)) return false;
        return true;
    }

    private static uint Hex(ReadOnlySpan<byte> s) =>
        uint.Parse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
}
