namespace Preconfig.ConfigSpace;

/// <summary>
/// A machine's PCI functions behind one narrow boundary, in the manner of dotnet/iot's GpioDriver: sysfs (the real
/// <c>/sys/bus/pci</c> or a sysfs-shaped temp tree) and the simulator implement it; capture, replay and inspection
/// never know which one they talk to.
/// </summary>
public interface IPciAccess
{
    /// <summary>Where the functions come from, for messages ("sysfs:/sys/bus/pci", "sim:machine.json").</summary>
    string Description { get; }

    /// <summary>The functions present now, in address order.</summary>
    IReadOnlyList<PciAddress> EnumerateFunctions();

    /// <summary>Opens a function's configuration space. Throws <see cref="DeviceRemovedException"/> if it is gone.</summary>
    IConfigSpace Open(PciAddress address);

    /// <summary>The function's whole configuration space as it reads now (<see cref="Open"/>, then every readable
    /// byte); a backend may fold the two into one access (sysfs: the open's own read).</summary>
    byte[] ReadConfig(PciAddress address) => Open(address).ReadAll();

    /// <summary>
    /// A capture's read: each listed function's whole space and, of what <see cref="Describe(PciAddress, FunctionInfoParts)"/>
    /// knows, the parts <paramref name="parts"/> names for those bytes; one result per address, in list order. What
    /// goes wrong (a function gone, an unreadable config or attribute) is in the results, never thrown. The default
    /// reads each through <see cref="Open"/> and <see cref="Describe(PciAddress, FunctionInfoParts)"/>
    /// (<see cref="FunctionRead.Through"/>); sysfs reads only the files a capture needs, on several threads.
    /// </summary>
    IReadOnlyList<FunctionRead> ReadFunctions(IReadOnlyList<PciAddress> addresses, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts)
    {
        var reads = new FunctionRead[addresses.Count];
        for (int i = 0; i < reads.Length; i++) reads[i] = FunctionRead.Through(this, addresses[i], parts);
        return reads;
    }

    /// <summary>What the kernel knows of the function beyond config space: driver, reset methods, BAR resources.</summary>
    PciFunctionInfo Describe(PciAddress address);

    /// <summary>
    /// <see cref="Describe(PciAddress)"/> for a caller that needs only some of it (preinit's matching: the driver, and
    /// the reset methods and boot_vga only when the policy may reset): a backend that reads each part separately
    /// (sysfs: a file per part) may leave the others out, empty or null. The default describes everything.
    /// </summary>
    PciFunctionInfo Describe(PciAddress address, FunctionInfoParts parts) => Describe(address);

    /// <summary>
    /// Asks for a reset by <paramref name="method"/> (one of <see cref="PciFunctionInfo.ResetMethods"/>: "flr", "bus",
    /// "pm" ...). Returns what the backend reported; whether the reset took effect must be checked in config space.
    /// </summary>
    ResetRequestResult RequestReset(PciAddress address, string method);

    /// <summary>
    /// <see cref="RequestReset(PciAddress, string)"/> that returns within <paramref name="bound"/> when the backend
    /// can make it (<see cref="BoundsResets"/>): the kernel may sleep uninterruptibly in a reset for up to 60 s, so
    /// sysfs writes <c>reset</c> from a child process and abandons it at the bound (<see cref="ResetRequestResult.Abandoned"/>).
    /// </summary>
    ResetRequestResult RequestReset(PciAddress address, string method, TimeSpan bound) => RequestReset(address, method);

    /// <summary>Whether <see cref="RequestReset(PciAddress, string, TimeSpan)"/> keeps to its bound by itself.</summary>
    bool BoundsResets => false;
}

/// <summary>The parts of <see cref="PciFunctionInfo"/> a caller of <see cref="IPciAccess.Describe(PciAddress, FunctionInfoParts)"/> needs.</summary>
[Flags]
public enum FunctionInfoParts
{
    Driver = 1,
    ResetMethods = 2,
    Resources = 4,
    BootVga = 8,
    All = Driver | ResetMethods | Resources | BootVga,
}

/// <summary>Information sysfs holds next to config space. <paramref name="BootVga"/> is sysfs <c>boot_vga</c>
/// (the VGA console: true), null where the attribute does not exist (not a VGA-class device, or unknown).</summary>
public sealed record PciFunctionInfo(string? Driver, IReadOnlyList<string> ResetMethods, IReadOnlyList<BarResource> Resources, bool? BootVga = null)
{
    public static readonly PciFunctionInfo Unknown = new(null, [], []);
}

/// <summary>One line of sysfs <c>resource</c>: a BAR (0..5), the expansion ROM (6), an SR-IOV VF BAR (7..12) or a bridge window (13..16).</summary>
public readonly record struct BarResource(int Index, ulong Start, ulong End, ulong Flags)
{
    public ulong Size => End >= Start && (Start != 0 || End != 0) ? End - Start + 1 : 0;
}

/// <summary>What the reset request returned (not whether it worked). <paramref name="Abandoned"/>: it had not returned
/// within its bound and was left running in the kernel (the child process that made it was abandoned).</summary>
public sealed record ResetRequestResult(bool Reported, string Status, bool Abandoned = false);
