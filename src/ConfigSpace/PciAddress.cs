using System.Diagnostics.CodeAnalysis;

namespace Preconfig.ConfigSpace;

/// <summary>
/// A PCI function address, <c>dddd:bb:dd.f</c>. Parses what lspci accepts: the domain is optional (0 when absent)
/// and may have up to 8 hex digits (lspci prints 4, more for large domains such as VMD's 10000).
/// Ordered by domain, bus, device, function: the order lspci and sysfs list functions in.
/// </summary>
public readonly record struct PciAddress(int Domain, byte Bus, byte Device, byte Function) : IComparable<PciAddress>, ISpanFormattable
{
    public int Domain { get; } = Domain >= 0 ? Domain : throw new ArgumentOutOfRangeException(nameof(Domain));
    public byte Device { get; } = Device <= 31 ? Device : throw new ArgumentOutOfRangeException(nameof(Device));
    public byte Function { get; } = Function <= 7 ? Function : throw new ArgumentOutOfRangeException(nameof(Function));

    /// <summary>Device and function as the kernel packs them (devfn).</summary>
    public byte DevFn => (byte)((Device << 3) | Function);

    public static PciAddress Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a PCI address (expected [dddd:]bb:dd.f)");

    public static bool TryParse(ReadOnlySpan<char> text, out PciAddress address)
    {
        address = default;
        text = text.Trim();
        int dot = text.LastIndexOf('.');
        if (dot < 0) return false;
        var head = text[..dot];
        var fn = text[(dot + 1)..];
        int lastColon = head.LastIndexOf(':');
        if (lastColon < 0) return false;
        var slot = head[(lastColon + 1)..];
        var rest = head[..lastColon];
        int domain = 0;
        ReadOnlySpan<char> bus;
        int colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            var dom = rest[..colon];
            bus = rest[(colon + 1)..];
            if (dom.Length is < 1 or > 8 || !IsHex(dom)) return false;
            long d = HexValue(dom);
            if (d > int.MaxValue) return false;
            domain = (int)d;
        }
        else bus = rest;
        if (bus.Length is < 1 or > 2 || !IsHex(bus)) return false;
        if (slot.Length is < 1 or > 2 || !IsHex(slot)) return false;
        if (fn.Length != 1 || fn[0] < '0' || fn[0] > '7') return false;
        int b = (int)HexValue(bus);
        int s = (int)HexValue(slot);
        if (s > 31) return false;
        address = new PciAddress(domain, (byte)b, (byte)s, (byte)(fn[0] - '0'));
        return true;
    }

    /// <summary>The value of at most 8 hex digits already checked by <see cref="IsHex"/> (the number parser's culture
    /// and style handling was most of a sysfs listing's cost).</summary>
    private static long HexValue(ReadOnlySpan<char> digits)
    {
        long value = 0;
        foreach (char c in digits) value = value << 4 | (uint)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        return value;
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out PciAddress address)
    {
        if (text is null) { address = default; return false; }
        return TryParse(text.AsSpan(), out address);
    }

    private static bool IsHex(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    public int CompareTo(PciAddress other)
    {
        int c = Domain.CompareTo(other.Domain);
        if (c != 0) return c;
        c = Bus.CompareTo(other.Bus);
        if (c != 0) return c;
        c = Device.CompareTo(other.Device);
        return c != 0 ? c : Function.CompareTo(other.Function);
    }

    public static bool operator <(PciAddress a, PciAddress b) => a.CompareTo(b) < 0;
    public static bool operator >(PciAddress a, PciAddress b) => a.CompareTo(b) > 0;
    public static bool operator <=(PciAddress a, PciAddress b) => a.CompareTo(b) <= 0;
    public static bool operator >=(PciAddress a, PciAddress b) => a.CompareTo(b) >= 0;

    /// <summary>The canonical form <c>dddd:bb:dd.f</c>, lower-case, as sysfs names devices.</summary>
    /// <remarks>Written digit by digit: preinit names every function several times (paths, log lines, the report), and the
    /// composite format cost a thousand instructions a call.</remarks>
    public override string ToString() =>
        string.Create(FormattedLength, this, static (span, a) => a.TryFormat(span, out _, default, null));

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes <see cref="ToString()"/> into <paramref name="destination"/> (format and provider are ignored:
    /// an address has one form), so interpolated strings and log lines take it without a string of its own.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        int length = FormattedLength;
        if (destination.Length < length) { charsWritten = 0; return false; }
        int domainDigits = length - 8;
        uint domain = (uint)Domain;
        for (int i = domainDigits - 1; i >= 0; i--, domain >>= 4) destination[i] = Hex(domain & 0xf);
        var rest = destination[domainDigits..];
        rest[0] = ':';
        rest[1] = Hex((uint)Bus >> 4);
        rest[2] = Hex((uint)Bus & 0xf);
        rest[3] = ':';
        rest[4] = Hex((uint)Device >> 4);
        rest[5] = Hex((uint)Device & 0xf);
        rest[6] = '.';
        rest[7] = (char)('0' + Function);
        charsWritten = length;
        return true;
    }

    // At least four domain digits (x4), more for a large domain such as VMD's 10000; then ":bb:dd.f".
    private int FormattedLength => Math.Max(4, (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)Domain) + 3) / 4) + 8;

    private static char Hex(uint nibble) => (char)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
}
