using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// The name setpci takes for a register, computed from where it is (a capability and an offset in it, or a header
/// offset) and its width, as setpci.c resolves names (<c>parse_register</c>, <c>exec_op</c>): a header name from
/// <see cref="SetpciRegisterTable"/> when it exists on this header type (setpci refuses one that does not: "Does not
/// have register INTERRUPT_LINE" on a CardBus bridge), <c>CAP_EXP+8.w</c> for a capability register (the capability's
/// base name, the offset in hex, the width). libpci finds capabilities by walking from 0x34 whatever the header type,
/// while a CardBus bridge's list starts at 0x14, so capability names are not used there. Where setpci would refuse a
/// name or resolve it to another register, the offset form is used (<c>3c.b</c>, <c>80.w</c>).
/// </summary>
public static class SetpciNames
{
    /// <summary>The name of the header register at <paramref name="offset"/> as setpci takes it on this header type,
    /// else the offset form.</summary>
    public static string Header(int offset, int width, HeaderType type) =>
        Find(offset, width, type)?.Name ?? Offset(offset, width);

    /// <summary>The register's name in setpci's table whatever the header type (for what a step says to people:
    /// "interrupt line" on a CardBus bridge too), else the offset form.</summary>
    public static string HeaderRegisterName(int offset, int width, HeaderType type) =>
        (Find(offset, width, type) ?? FindAny(offset, width))?.Name ?? Offset(offset, width);

    /// <summary>A register <paramref name="relative"/> bytes into capability <paramref name="cap"/> as setpci takes it
    /// on this header type: <c>CAP_EXP+8.w</c>, <c>ECAP_AER+c.l</c>, else the offset form.</summary>
    public static string Capability(Capability cap, int relative, int width, HeaderType type) =>
        type == HeaderType.CardBus ? Offset(cap.Offset + relative, width) : CapabilityRegister(cap.Extended, cap.Id, relative, width);

    /// <summary><c>CAP_EXP+8.w</c> whatever the header type (for lists people read).</summary>
    public static string CapabilityRegister(bool extended, ushort id, int relative, int width) =>
        $"{CapabilityBase(extended, id)}+{relative:x}.{WidthSuffix(width)}";

    /// <summary><c>CAP_EXP</c>, <c>ECAP_AER</c>; a capability setpci has no name for by its number (<c>ECAP2e</c>), which
    /// setpci takes as well.</summary>
    public static string CapabilityBase(bool extended, ushort id) => extended
        ? SetpciRegisterTable.ExtendedCapabilities.TryGetValue((ExtendedCapabilityId)id, out var e) ? e : $"ECAP{id:x}"
        : SetpciRegisterTable.Capabilities.TryGetValue((CapabilityId)id, out var s) ? s : $"CAP{id:x}";

    /// <summary><c>3c.b</c>, <c>80.w</c>, <c>104.l</c>: setpci's register-by-offset form.</summary>
    public static string Offset(int offset, int width) => $"{offset:x}.{WidthSuffix(width)}";

    private static char WidthSuffix(int width) => width switch { 1 => 'b', 2 => 'w', _ => 'l' };

    private static int TypeBit(HeaderType type) => (int)type <= 2 ? 1 << (int)type : 0;

    /// <summary>setpci checks the header type only for a name that names its types; types above 2 have none of them.</summary>
    private static bool Accepted(SetpciHeaderName entry, HeaderType type) => entry.HeaderTypes == 0 || (entry.HeaderTypes & TypeBit(type)) != 0;

    private static SetpciHeaderName? Find(int offset, int width, HeaderType type)
    {
        foreach (var e in SetpciRegisterTable.Header)
            if (e.Offset == offset && e.Width == width && Accepted(e, type)) return e;
        return null;
    }

    private static SetpciHeaderName? FindAny(int offset, int width)
    {
        foreach (var e in SetpciRegisterTable.Header)
            if (e.Offset == offset && e.Width == width) return e;
        return null;
    }
}
