using System.Globalization;
using System.IO.Abstractions;
using Preconfig.ConfigSpace;

namespace Preconfig.Preinit.Policy;

/// <summary>Whether preinit may reset a function before restoring it.</summary>
public enum ResetPolicy
{
    /// <summary>Never reset (the default): quiesce and restore only.</summary>
    Never,
    /// <summary>Reset where the function offers a method (sysfs <c>reset_method</c>) and the policy does not exclude it.</summary>
    IfSupported,
}

/// <summary>What an endpoint's Bus Master bit is left at after the replay.</summary>
public enum BusMasterPolicy
{
    /// <summary>Off: the driver turns it on when it probes (the default).</summary>
    Off,
    /// <summary>As the snapshot has it.</summary>
    AsCaptured,
}

/// <summary>What an endpoint's INTx Disable bit is left at after the replay.</summary>
public enum IntxPolicy
{
    /// <summary>Left set by the quiesce: pci_enable_device() clears it when a driver wants INTx (the default).</summary>
    Disabled,
    /// <summary>As the snapshot has it.</summary>
    AsCaptured,
}

/// <summary>
/// What preinit may do, read from the <c>--policy</c> JSON file. Every field is optional; the defaults are the safe
/// choice: no reset, Bus Master and INTx left off on endpoints, no BAR/window/bus number moved, stale errors cleared,
/// endpoints that are not restored quiesced, power states, ACS and ARI left to the kernel.
/// </summary>
public sealed record ReplayPolicy
{
    // Before Default: static fields initialise in order.
    public static readonly IReadOnlyList<string> DefaultResetMethods = ["flr", "bus", "bridge"];
    public static readonly ReplayPolicy Default = new();

    /// <summary>The reset decision for functions no <see cref="ResetRules"/> entry matches.</summary>
    public ResetPolicy Reset { get; init; } = ResetPolicy.Never;
    /// <summary>Per class, vendor:device or address: <c>{"match": {"class": "0x02"}, "reset": "if-supported"}</c>.
    /// A matching "never" rule always wins; otherwise the first matching "if-supported" rule decides.</summary>
    public IReadOnlyList<ResetRule> ResetRules { get; init; } = [];
    /// <summary>
    /// Reset methods in order of preference; each one the function offers is tried until one is verified. "bridge"
    /// is a Secondary Bus Reset through the parent bridge's Bridge Control (only when every function below that
    /// bridge is being reset). "pm" is not tried unless listed: the kernel's D3hot->D0 reset often does nothing.
    /// </summary>
    public IReadOnlyList<string> ResetMethods { get; init; } = DefaultResetMethods;

    /// <summary>Method names a policy may list: the kernel's reset_method names, plus "bridge".</summary>
    public static readonly IReadOnlyList<string> KnownResetMethods = ["flr", "bus", "bridge", "pm", "acpi", "device_specific", "cxl_bus"];
    public BusMasterPolicy BusMaster { get; init; } = BusMasterPolicy.Off;
    public IntxPolicy Intx { get; init; } = IntxPolicy.Disabled;
    /// <summary>When not empty, only functions matching one of these are replayed.</summary>
    public IReadOnlyList<DeviceSelector> Allow { get; init; } = [];
    /// <summary>Functions matching one of these are left alone.</summary>
    public IReadOnlyList<DeviceSelector> Deny { get; init; } = [];
    /// <summary>When not empty, only these are reset (with <see cref="Reset"/> = if-supported).</summary>
    public IReadOnlyList<DeviceSelector> ResetOnly { get; init; } = [];
    /// <summary>Never reset these (controllers that cannot be reset, or that hold a firmware dump).</summary>
    public IReadOnlyList<DeviceSelector> ResetDeny { get; init; } = [];
    /// <summary>Functions left to the kernel whole, besides its own table (Planning/Rules/KernelOwnership): never
    /// quiesced, restored or reset.</summary>
    public IReadOnlyList<DeviceSelector> KernelOwned { get; init; } = [];
    /// <summary>Functions taken out of the kernel's table (Planning/Rules/KernelOwnership): handled as any other.</summary>
    public IReadOnlyList<DeviceSelector> NotKernelOwned { get; init; } = [];
    /// <summary>A VGA console is excluded from resets unless this is true: a reset blanks the operator's screen.</summary>
    public bool ResetVgaConsole { get; init; }
    /// <summary>Write BARs, bridge windows and bus numbers that differ from the present assignment (default: report only).</summary>
    public bool MoveResources { get; init; }
    /// <summary>The deliberate "clear stale error status" step (write-1-to-clear Status, DevSta, AER status).</summary>
    public bool ClearErrorStatus { get; init; } = true;
    /// <summary>Quiesce every unbound endpoint that is not restored too (new, mismatched, or no valid snapshot at
    /// all): Bus Master off, INTx disabled, MSI off, MSI-X masked and off. Stopping leftover DMA needs no snapshot.</summary>
    public bool QuiesceUnmatched { get; init; } = true;
    /// <summary>Put the captured D-state and PME Enable back (PM Control), with the spec's waits. Off by default: the
    /// kernel owns power states (pci_set_power_state), and a D3hot-to-D0 move can reset the function.</summary>
    public bool RestorePowerState { get; init; }
    /// <summary>Restore ACS control. Off by default: the kernel sets it by its IOMMU policy (pci_enable_acs).</summary>
    public bool RestoreAcs { get; init; }
    /// <summary>Restore ARI control and the port's ARI Forwarding Enable. Off by default: pci_configure_ari() owns them.</summary>
    public bool RestoreAri { get; init; }
    /// <summary>Extra attempts after a write that does not read back (bounded).</summary>
    public int Retries { get; init; } = 3;

    public bool IsDenied(DeviceIdentity id, out string reason)
    {
        foreach (var s in Deny)
            if (s.Matches(id)) { reason = $"denied by policy ({s})"; return true; }
        if (Allow.Count > 0 && !AnyMatches(Allow, id)) { reason = "not in the policy's allow list"; return true; }
        reason = "";
        return false;
    }

    /// <summary>Whether a reset may be asked for, and why not.</summary>
    public bool MayReset(DeviceIdentity id, out string reason) => MayReset(id, null, out reason, out _);

    /// <summary>
    /// Whether a reset may be asked for (and why not), and the methods to try in order. <paramref name="bootVga"/> is
    /// sysfs <c>boot_vga</c>: the console is never reset unless <see cref="ResetVgaConsole"/>; where sysfs does not say,
    /// a VGA-compatible controller (class 0300) is taken for the console.
    /// </summary>
    public bool MayReset(DeviceIdentity id, bool? bootVga, out string reason, out IReadOnlyList<string> methods)
    {
        methods = ResetMethods;
        foreach (var rule in ResetRules)
            if (rule.Reset == ResetPolicy.Never && rule.Matches(id)) { reason = $"policy: reset never ({rule})"; return false; }
        foreach (var s in ResetDeny)
            if (s.Matches(id)) { reason = $"policy: reset denied ({s})"; return false; }
        bool console = bootVga ?? id.ClassCode >> 8 == 0x0300;
        if (!ResetVgaConsole && console) { reason = "VGA console: not reset (policy resetVgaConsole)"; return false; }
        if (FirstIfSupported(id) is { } match)
        {
            methods = match.Methods ?? ResetMethods;
            reason = "";
            return true;
        }
        if (Reset == ResetPolicy.Never) { reason = "policy: reset never"; return false; }
        if (ResetOnly.Count > 0 && !AnyMatches(ResetOnly, id)) { reason = "not in the policy's resetOnly list"; return false; }
        reason = "";
        return true;
    }

    /// <summary>Whether any function could be reset under this policy (rules or the global setting).</summary>
    public bool ResetsAnything
    {
        get
        {
            if (Reset != ResetPolicy.Never) return true;
            foreach (var rule in ResetRules)
                if (rule.Reset == ResetPolicy.IfSupported) return true;
            return false;
        }
    }

    /// <summary>The first "if-supported" rule that matches, or null.</summary>
    private ResetRule? FirstIfSupported(DeviceIdentity id)
    {
        foreach (var rule in ResetRules)
            if (rule.Reset == ResetPolicy.IfSupported && rule.Matches(id)) return rule;
        return null;
    }

    internal static bool AnyMatches(IReadOnlyList<DeviceSelector> selectors, DeviceIdentity id)
    {
        foreach (var s in selectors)
            if (s.Matches(id)) return true;
        return false;
    }

    /// <summary>Reads a policy file. Throws <see cref="InvalidDataException"/> naming the file, line and field.</summary>
    public static ReplayPolicy Load(IFileSystem fs, string path) => PolicyFile.Read(fs.File.ReadAllBytes(path), path).ToPolicy(path);

    public static ReplayPolicy Parse(string json, string name = "policy") =>
        PolicyFile.Read(System.Text.Encoding.UTF8.GetBytes(json), name).ToPolicy(name);
}

/// <summary>One entry of the policy's <c>"reset"</c> list: every selector of <see cref="Match"/> must match.</summary>
public sealed record ResetRule(IReadOnlyList<DeviceSelector> Match, ResetPolicy Reset, IReadOnlyList<string>? Methods = null)
{
    public bool Matches(DeviceIdentity id)
    {
        foreach (var s in Match)
            if (!s.Matches(id)) return false;
        return true;
    }
    public override string ToString() => string.Join(" and ", Match) + (Methods is null ? "" : $" by {string.Join('/', Methods)}");
}

/// <summary>What a selector is matched against: the function's address and identity.</summary>
public readonly record struct DeviceIdentity(PciAddress Address, ushort VendorId, ushort DeviceId, uint ClassCode)
{
    public static DeviceIdentity Of(PciAddress address, ReadOnlySpan<byte> cfg) =>
        new(address, ConfigBytes.VendorId(cfg), ConfigBytes.DeviceId(cfg), ConfigBytes.ClassCode(cfg));
}

/// <summary>
/// One allow/deny entry: an address (<c>0000:03:00.0</c>), a <c>vendor:device</c> pair in hex (<c>8086:1533</c>,
/// <c>8086:*</c>), or a class prefix (<c>class:0c03</c> matches USB controllers, <c>class:0c0330</c> xHCI only).
/// </summary>
public sealed class DeviceSelector
{
    private readonly string _text;
    private readonly PciAddress? _address;
    private readonly int _vendor = -1, _device = -1;
    private readonly uint _class;
    private readonly int _classDigits;

    private DeviceSelector(string text, PciAddress? address, int vendor, int device, uint cls, int classDigits)
    {
        _text = text; _address = address; _vendor = vendor; _device = device; _class = cls; _classDigits = classDigits;
    }

    public static DeviceSelector Parse(string text)
    {
        if (text.StartsWith("class:", StringComparison.Ordinal))
        {
            string digits = text[6..];
            if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) digits = digits[2..];
            if (digits.Length is not (2 or 4 or 6) || !uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint cls))
                throw new FormatException($"selector '{text}': class is 2, 4 or 6 hex digits (class:0c03)");
            return new DeviceSelector(text, null, -1, -1, cls, digits.Length);
        }
        if (PciAddress.TryParse(text, out var address)) return new DeviceSelector(text, address, -1, -1, 0, 0);
        var parts = text.Split(':');
        if (parts.Length == 2 && TryHex16(parts[0], out int v) && (parts[1] == "*" || TryHex16(parts[1], out _)))
            return new DeviceSelector(text, null, v, parts[1] == "*" ? -1 : Convert.ToInt32(parts[1], 16), 0, 0);
        throw new FormatException($"selector '{text}': expected an address (0000:03:00.0), vendor:device (8086:1533, 8086:*) or class:XXXX");
    }

    private static bool TryHex16(string s, out int value)
    {
        value = 0;
        return s.Length == 4 && int.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    public bool Matches(DeviceIdentity id)
    {
        if (_address is { } a) return a == id.Address;
        if (_classDigits > 0) return id.ClassCode >> (4 * (6 - _classDigits)) == _class;
        return id.VendorId == _vendor && (_device < 0 || id.DeviceId == _device);
    }

    public override string ToString() => _text;
}
