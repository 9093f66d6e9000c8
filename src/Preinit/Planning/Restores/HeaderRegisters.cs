using Preconfig.ConfigSpace.Registers;

namespace Preconfig.Preinit.Planning.Restores;

/// <summary>What restoring a header register means.</summary>
internal enum RegisterRole
{
    /// <summary>A setting: restored when it differs.</summary>
    Control,
    /// <summary>A BAR or expansion ROM address: differing from the present assignment is reported, not written (policy).</summary>
    Bar,
    /// <summary>A bridge window: as a BAR.</summary>
    Window,
    /// <summary>A bridge bus number: as a BAR.</summary>
    BusNumber,
}

/// <summary>
/// One header register the replay restores: offset, width, which bits it restores and which are write-1-to-clear.
/// Status, Secondary Status, identity and read-only registers are absent: they are never restored. Its name is
/// setpci's for that offset and width (<see cref="SetpciNames.HeaderRegisterName"/>), given by the list it is in.
/// </summary>
internal sealed record HeaderRegister(int Offset, int Width, RegisterRole Role, uint Mask, uint Rw1c = 0, bool Force = false)
{
    public string Name { get; private init; } = "";

    /// <summary>What a step restoring it says: "interrupt line" for a setting, "bar BASE_ADDRESS_0", "window
    /// MEMORY_BASE", "busnumber SECONDARY_BUS" for the rest (made once, not per device).</summary>
    public string Description { get; private init; } = "";

    public HeaderRegister On(HeaderType type)
    {
        string name = SetpciNames.HeaderRegisterName(Offset, Width, type);
        return this with
        {
            Name = name,
            Description = Role == RegisterRole.Control ? name.ToLowerInvariant().Replace('_', ' ')
                : $"{Role switch { RegisterRole.Bar => "bar", RegisterRole.Window => "window", _ => "busnumber" }} {name}",
        };
    }
}

/// <summary>
/// The header registers in the order pci_restore_config_space() writes them: dwords from high to low, so the BARs come
/// before Command. Bridges: dwords 15..12, then 11..9 always rewritten (the kernel forces the prefetch window registers
/// for Intel bridges that need the write), then 8..0. Command (dword 1) is not in these lists: it is its own last step.
/// </summary>
internal static class HeaderRegisters
{
    public static readonly IReadOnlyList<HeaderRegister> Normal = On(HeaderType.Normal,
    [
        new(Header.InterruptLine, 1, RegisterRole.Control, 0xff),
        new(Type0.RomAddress, 4, RegisterRole.Bar, BaseAddress.RomMask | BaseAddress.RomEnable),
        .. Bars(Type0.BaseAddress0, Type0.BarCount),
        new(Header.LatencyTimer, 1, RegisterRole.Control, 0xff),
        new(Header.CacheLineSize, 1, RegisterRole.Control, 0xff),
    ]);

    public static readonly IReadOnlyList<HeaderRegister> Bridge = On(HeaderType.Bridge,
    [
        // Secondary Bus Reset (0x40) is never restored; Discard Timer Status (0x400) is write-1-to-clear.
        new(Type1.BridgeControl, 2, RegisterRole.Control, 0x0bbf, Rw1c: (uint)BridgeControl.DiscardTimerStatus),
        new(Header.InterruptLine, 1, RegisterRole.Control, 0xff),
        new(Type1.RomAddress, 4, RegisterRole.Bar, BaseAddress.RomMask | BaseAddress.RomEnable),
        new(Type1.IoLimitUpper16, 2, RegisterRole.Window, 0xffff),
        new(Type1.IoBaseUpper16, 2, RegisterRole.Window, 0xffff),
        new(Type1.PrefLimitUpper32, 4, RegisterRole.Window, 0xffffffff, Force: true),
        new(Type1.PrefBaseUpper32, 4, RegisterRole.Window, 0xffffffff, Force: true),
        new(Type1.PrefMemoryLimit, 2, RegisterRole.Window, 0xfff0, Force: true),
        new(Type1.PrefMemoryBase, 2, RegisterRole.Window, 0xfff0, Force: true),
        new(Type1.MemoryLimit, 2, RegisterRole.Window, 0xfff0),
        new(Type1.MemoryBase, 2, RegisterRole.Window, 0xfff0),
        new(Type1.IoLimit, 1, RegisterRole.Window, 0xf0),
        new(Type1.IoBase, 1, RegisterRole.Window, 0xf0),
        new(Type1.SecLatencyTimer, 1, RegisterRole.Control, 0xff),
        new(Type1.SubordinateBus, 1, RegisterRole.BusNumber, 0xff),
        new(Type1.SecondaryBus, 1, RegisterRole.BusNumber, 0xff),
        new(Type1.PrimaryBus, 1, RegisterRole.BusNumber, 0xff),
        .. Bars(Type1.BaseAddress0, Type1.BarCount),
        new(Header.LatencyTimer, 1, RegisterRole.Control, 0xff),
        new(Header.CacheLineSize, 1, RegisterRole.Control, 0xff),
    ]);

    /// <summary>CardBus bridges: only the plain settings, the CardBus Latency Timer among them (pci_restore_config_space()
    /// writes dwords 15..0 of every header type); their windows are left to the kernel's yenta driver.</summary>
    public static readonly IReadOnlyList<HeaderRegister> CardBus = On(HeaderType.CardBus,
    [
        new(Header.InterruptLine, 1, RegisterRole.Control, 0xff),
        new(Type2.LatencyTimer, 1, RegisterRole.Control, 0xff),
        new(Header.LatencyTimer, 1, RegisterRole.Control, 0xff),
        new(Header.CacheLineSize, 1, RegisterRole.Control, 0xff),
    ]);

    /// <summary>Bits of Command the replay restores (every defined bit; hardwired ones read back as captured).</summary>
    public const uint CommandMask = 0x07ff;

    public static IReadOnlyList<HeaderRegister> For(HeaderType type) => type switch
    {
        HeaderType.Normal => Normal,
        HeaderType.Bridge => Bridge,
        _ => CardBus,
    };

    private static IReadOnlyList<HeaderRegister> On(HeaderType type, IEnumerable<HeaderRegister> registers)
    {
        var list = new List<HeaderRegister>();
        foreach (var r in registers) list.Add(r.On(type));
        return list;
    }

    // Highest BAR first. The address mask is refined per BAR from the captured type bits (see HeaderRestore).
    private static IEnumerable<HeaderRegister> Bars(int first, int count)
    {
        for (int i = count - 1; i >= 0; i--)
            yield return new(first + 4 * i, 4, RegisterRole.Bar, 0xffffffff);
    }
}
