using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Registers;
using Preconfig.Handoff.Model;
using Preconfig.Preinit.Policy;

namespace Preconfig.Preinit.Matching;

public enum MatchKind
{
    /// <summary>Present, same identity and capability layout, no driver, allowed by policy: replay it.</summary>
    Matched,
    /// <summary>In the snapshot, not present now.</summary>
    Missing,
    /// <summary>Present now, not in the snapshot.</summary>
    New,
    /// <summary>Present, but a different function (identity or capability layout differs, or its identity was not captured).</summary>
    Mismatch,
    /// <summary>A driver is bound already (built in, or loaded before us): not ours to touch.</summary>
    DriverBound,
    /// <summary>Excluded by the policy's allow/deny lists.</summary>
    Denied,
    /// <summary>Its config space could not be read.</summary>
    Unreadable,
    /// <summary>Present, and no valid snapshot was loaded at all (corrupt, forged or missing handoff).</summary>
    NoSnapshot,
}

/// <summary>
/// What matching found for one address. <see cref="Present"/> is the config as read now and <see cref="Info"/> what
/// sysfs says of the function (every kind that could be read: new and mismatched functions are still quiesced): the
/// driver, and the reset methods and boot_vga only when the policy may reset (resources are not read).
/// </summary>
public sealed record DeviceMatch(PciAddress Address, MatchKind Kind, string Reason, DeviceRecord? Record = null,
    byte[]? Present = null, PciFunctionInfo? Info = null)
{
    /// <summary>Which bytes of <see cref="Record"/> were captured (<see cref="CapturedBytes"/>).</summary>
    public KnownBytes? Known => Record is null ? null : CapturedBytes.Of(Record);
}

/// <summary>
/// Which bytes of a record were really captured: the ranges its <see cref="DeviceRecord.Origins"/> cover (a dump's
/// short or missing rows are left out of them); a record without origins was captured whole.
/// </summary>
public static class CapturedBytes
{
    public static KnownBytes Of(DeviceRecord record)
    {
        if (record.Origins.Count == 0) return KnownBytes.All(record.Config.Length);
        foreach (var o in record.Origins)
            if (o.Offset <= 0 && (long)o.Offset + o.Length >= record.Config.Length) return KnownBytes.All(record.Config.Length);
        var known = KnownBytes.None(record.Config.Length);
        foreach (var o in record.Origins) known.Add(o.Offset, o.Length);
        return known;
    }
}

/// <summary>
/// Pairs snapshot records with present functions. A record is replayed only onto the very same function: vendor,
/// device, revision, class, header type, subsystem ids and the capability layout (as far as the snapshot holds bytes)
/// must be equal, and every identity byte must have been captured.
/// </summary>
public static class DeviceMatcher
{
    public static IReadOnlyList<DeviceMatch> Match(Snapshot snapshot, IPciAccess access, ReplayPolicy policy)
    {
        var present = new HashSet<PciAddress>(access.EnumerateFunctions());
        var results = new List<DeviceMatch>();
        var parts = PartsFor(policy);
        foreach (var record in snapshot.Devices)
        {
            if (!present.Remove(record.Address))
            {
                results.Add(new DeviceMatch(record.Address, MatchKind.Missing, "missing: in the snapshot, not present now", record));
                continue;
            }
            results.Add(MatchOne(record, access, policy, parts));
        }
        var added = new List<PciAddress>(present);
        added.Sort();
        foreach (var address in added)
            results.Add(Unrecorded(access, address, MatchKind.New, "new: present now, not in the snapshot"));
        return results;
    }

    /// <summary>Every present function when no snapshot could be loaded: read, so its DMA and interrupts can still be stopped.</summary>
    public static IReadOnlyList<DeviceMatch> WithoutSnapshot(IPciAccess access, string why)
    {
        var addresses = new List<PciAddress>(access.EnumerateFunctions());
        addresses.Sort();
        var results = new List<DeviceMatch>(addresses.Count);
        foreach (var a in addresses) results.Add(Unrecorded(access, a, MatchKind.NoSnapshot, why));
        return results;
    }

    /// <summary>
    /// What the plan reads of sysfs beyond config space: the driver (a bound function is left alone), and, only when
    /// the policy may reset, the reset methods offered and boot_vga (the console is not reset). boot_vga is read for
    /// every VGA-class function anyway (<see cref="WithBootVga"/>). Nothing else is read.
    /// </summary>
    private static FunctionInfoParts PartsFor(ReplayPolicy policy) => policy.ResetsAnything
        ? FunctionInfoParts.Driver | FunctionInfoParts.ResetMethods | FunctionInfoParts.BootVga
        : FunctionInfoParts.Driver;

    /// <summary><paramref name="parts"/>, plus boot_vga for a VGA controller (class 0300): the kernel owns the boot
    /// VGA's Bus Master and decode (Planning/KernelOwnership). Only such functions have the attribute
    /// (pci_dev_attrs_are_visible(), drivers/pci/pci-sysfs.c), so no other function pays a look-up.</summary>
    private static FunctionInfoParts WithBootVga(FunctionInfoParts parts, ReadOnlySpan<byte> now) =>
        now.Length >= Header.Size && ConfigBytes.ClassCode(now) >> 8 == 0x0300 ? parts | FunctionInfoParts.BootVga : parts;

    /// <summary>A present function no record is replayed onto: its bytes and driver, for the quiesce (it is never reset).</summary>
    private static DeviceMatch Unrecorded(IPciAccess access, PciAddress address, MatchKind kind, string reason)
    {
        try
        {
            byte[] now = access.ReadConfig(address);
            return new DeviceMatch(address, kind, reason, null, now, access.Describe(address, WithBootVga(FunctionInfoParts.Driver, now)));
        }
        catch (DeviceRemovedException e) { return new DeviceMatch(address, MatchKind.Missing, $"missing: {e.Message}"); }
        catch (IOException e) { return new DeviceMatch(address, MatchKind.Unreadable, $"{reason}; unreadable: {e.Message}"); }
    }

    private static DeviceMatch MatchOne(DeviceRecord record, IPciAccess access, ReplayPolicy policy, FunctionInfoParts parts)
    {
        var address = record.Address;
        byte[] now;
        PciFunctionInfo info;
        try
        {
            now = access.ReadConfig(address);
            info = access.Describe(address, WithBootVga(parts, now));
        }
        catch (DeviceRemovedException e) { return new DeviceMatch(address, MatchKind.Missing, $"missing: {e.Message}", record); }
        catch (IOException e) { return new DeviceMatch(address, MatchKind.Unreadable, $"unreadable: {e.Message}", record); }
        if (ConfigBytes.VendorId(now) == 0xffff)
            return new DeviceMatch(address, MatchKind.Missing, "missing: reads all ones", record);

        string? difference = IdentityDifference(record.Config, CapturedBytes.Of(record), now);
        if (difference is not null) return new DeviceMatch(address, MatchKind.Mismatch, $"identity mismatch: {difference}", record, now, info);
        if (info.Driver is { Length: > 0 } driver)
            return new DeviceMatch(address, MatchKind.DriverBound, $"driver bound: {driver}", record, now, info);
        if (policy.IsDenied(DeviceIdentity.Of(address, now), out string why))
            return new DeviceMatch(address, MatchKind.Denied, why, record, now, info);
        return new DeviceMatch(address, MatchKind.Matched, "", record, now, info);
    }

    /// <summary>The first identity field that differs, or null when the present function is the captured one.</summary>
    public static string? IdentityDifference(ReadOnlySpan<byte> captured, ReadOnlySpan<byte> now) =>
        IdentityDifference(captured, KnownBytes.All(captured.Length), now);

    /// <summary>As <see cref="IdentityDifference(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, where only the
    /// <paramref name="known"/> bytes were captured: an identity byte that was not is a difference (the function
    /// cannot be shown to be the captured one); the capability layout is compared as far as it was captured.</summary>
    public static string? IdentityDifference(ReadOnlySpan<byte> captured, KnownBytes known, ReadOnlySpan<byte> now)
    {
        var kind = ConfigBytes.HeaderKind(captured);
        foreach (var (offset, width, name) in IdentityBytes(kind))
            if (!known.Covers(offset, width))
                return $"{name} not captured (bytes {KnownBytes.Describe(offset, width)} unknown)";
        if (ConfigBytes.VendorId(captured) != ConfigBytes.VendorId(now) || ConfigBytes.DeviceId(captured) != ConfigBytes.DeviceId(now))
            return $"vendor:device {ConfigBytes.VendorId(captured):x4}:{ConfigBytes.DeviceId(captured):x4} captured, {ConfigBytes.VendorId(now):x4}:{ConfigBytes.DeviceId(now):x4} now";
        if (ConfigBytes.Revision(captured) != ConfigBytes.Revision(now))
            return $"revision {ConfigBytes.Revision(captured):x2} captured, {ConfigBytes.Revision(now):x2} now";
        if (ConfigBytes.ClassCode(captured) != ConfigBytes.ClassCode(now))
            return $"class {ConfigBytes.ClassCode(captured):x6} captured, {ConfigBytes.ClassCode(now):x6} now";
        if (ConfigBytes.HeaderKind(captured) != ConfigBytes.HeaderKind(now))
            return $"header type {(int)ConfigBytes.HeaderKind(captured)} captured, {(int)ConfigBytes.HeaderKind(now)} now";
        if (ConfigBytes.SubsystemVendorId(captured) != ConfigBytes.SubsystemVendorId(now) || ConfigBytes.SubsystemId(captured) != ConfigBytes.SubsystemId(now))
            return $"subsystem {ConfigBytes.SubsystemVendorId(captured):x4}:{ConfigBytes.SubsystemId(captured):x4} captured, {ConfigBytes.SubsystemVendorId(now):x4}:{ConfigBytes.SubsystemId(now):x4} now";
        // Compare only as much of the layout as the capture holds (a 64-byte capture holds none; a dump with missing
        // rows stops where the list reaches them): the captured list must be the start of the present one.
        int length = Math.Min(captured.Length, now.Length);
        var a = CapabilityWalker.Walk(captured[..length], known);
        var b = CapabilityWalker.Walk(now[..length]).Capabilities;
        bool partial = a.StandardProblem == CapabilityChainProblem.NotCaptured && a.StandardProblemOffset < length
            || a.ExtendedProblem == CapabilityChainProblem.NotCaptured && a.ExtendedProblemOffset < length;
        var caps = a.Capabilities;
        if (partial ? caps.Count > b.Count : caps.Count != b.Count)
            return $"capability layout: {caps.Count} capabilities captured, {b.Count} now";
        for (int i = 0; i < caps.Count; i++)
            if (caps[i].Offset != b[i].Offset || caps[i].Id != b[i].Id || caps[i].Extended != b[i].Extended)
                return $"capability layout: {caps[i].Name}@0x{caps[i].Offset:x} captured, {b[i].Name}@0x{b[i].Offset:x} now";
        return null;
    }

    /// <summary>The bytes identity is read from: vendor, device, revision, class, header type, subsystem ids.</summary>
    private static IEnumerable<(int Offset, int Width, string Name)> IdentityBytes(HeaderType kind)
    {
        yield return (Header.VendorId, 4, "vendor:device");
        yield return (Header.ClassRevision, 4, "class and revision");
        yield return (Header.HeaderType, 1, "header type");
        if (kind == HeaderType.Normal) yield return (Type0.SubsystemVendorId, 4, "subsystem");
        else if (kind == HeaderType.CardBus) yield return (Type2.SubsystemVendorId, 4, "subsystem");
    }
}
