using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning.Function;

/// <summary>
/// A register of one function: where it is (absolute offset), how wide, and the capability it sits in (none for the
/// header). Its setpci name is computed from these, as setpci resolves names, only when a step or a note needs it.
/// </summary>
internal readonly record struct Reg(int Offset, int Width, Capability? Cap = null)
{
    public static Reg Header(int offset, int width) => new(offset, width);

    /// <summary>The register <paramref name="relative"/> bytes into <paramref name="cap"/>.</summary>
    public static Reg In(Capability cap, int relative, int width) => new(cap.Offset + relative, width, cap);

    /// <summary>The name setpci takes on a function with this header type (<c>COMMAND</c>, <c>CAP_EXP+8.w</c>, <c>3c.b</c>).</summary>
    public string SetpciName(HeaderType type) => Cap is { } cap
        ? SetpciNames.Capability(cap, Offset - cap.Offset, Width, type)
        : SetpciNames.Header(Offset, Width, type);
}
