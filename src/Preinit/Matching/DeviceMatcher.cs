using Preconfig.ConfigSpace;
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
    /// <summary>Present, but a different function (identity or capability layout differs).</summary>
    Mismatch,
    /// <summary>A driver is bound already (built in, or loaded before us): not ours to touch.</summary>
    DriverBound,
    /// <summary>Excluded by the policy's allow/deny lists.</summary>
    Denied,
    /// <summary>Its config space could not be read.</summary>
    Unreadable,
}

/// <summary>What matching found for one address. <see cref="Present"/> is the config as read now (matched only).</summary>
public sealed record DeviceMatch(PciAddress Address, MatchKind Kind, string Reason, DeviceRecord? Record = null,
    byte[]? Present = null, PciFunctionInfo? Info = null);

/// <summary>
/// Pairs snapshot records with present functions. A record is replayed only onto the very same function: vendor,
/// device, revision, class, header type, subsystem ids and the capability layout (as far as the snapshot holds bytes)
/// must be equal.
/// </summary>
public static class DeviceMatcher
{
    public static IReadOnlyList<DeviceMatch> Match(Snapshot snapshot, IPciAccess access, ReplayPolicy policy)
    {
        var present = new HashSet<PciAddress>(access.EnumerateFunctions());
        var results = new List<DeviceMatch>();
        foreach (var record in snapshot.Devices)
        {
            if (!present.Remove(record.Address))
            {
                results.Add(new DeviceMatch(record.Address, MatchKind.Missing, "missing: in the snapshot, not present now", record));
                continue;
            }
            results.Add(MatchOne(record, access, policy));
        }
        foreach (var address in present.Order())
            results.Add(new DeviceMatch(address, MatchKind.New, "new: present now, not in the snapshot"));
        return results;
    }

    private static DeviceMatch MatchOne(DeviceRecord record, IPciAccess access, ReplayPolicy policy)
    {
        var address = record.Address;
        byte[] now;
        PciFunctionInfo info;
        try
        {
            now = access.Open(address).ReadAll();
            info = access.Describe(address);
        }
        catch (DeviceRemovedException e) { return new DeviceMatch(address, MatchKind.Missing, $"missing: {e.Message}", record); }
        catch (IOException e) { return new DeviceMatch(address, MatchKind.Unreadable, $"unreadable: {e.Message}", record); }
        if (ConfigBytes.VendorId(now) == 0xffff)
            return new DeviceMatch(address, MatchKind.Missing, "missing: reads all ones", record);

        string? difference = IdentityDifference(record.Config, now);
        if (difference is not null) return new DeviceMatch(address, MatchKind.Mismatch, $"identity mismatch: {difference}", record);
        if (info.Driver is { Length: > 0 } driver)
            return new DeviceMatch(address, MatchKind.DriverBound, $"driver bound: {driver}", record);
        if (policy.IsDenied(DeviceIdentity.Of(address, now), out string why))
            return new DeviceMatch(address, MatchKind.Denied, why, record);
        return new DeviceMatch(address, MatchKind.Matched, "", record, now, info);
    }

    /// <summary>The first identity field that differs, or null when the present function is the captured one.</summary>
    public static string? IdentityDifference(ReadOnlySpan<byte> captured, ReadOnlySpan<byte> now)
    {
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
        // Compare only as much of the layout as the capture holds (a 64-byte capture holds none).
        int length = Math.Min(captured.Length, now.Length);
        var a = CapabilityWalker.Walk(captured[..length]).Capabilities;
        var b = CapabilityWalker.Walk(now[..length]).Capabilities;
        if (a.Count != b.Count)
            return $"capability layout: {a.Count} capabilities captured, {b.Count} now";
        for (int i = 0; i < a.Count; i++)
            if (a[i].Offset != b[i].Offset || a[i].Id != b[i].Id || a[i].Extended != b[i].Extended)
                return $"capability layout: {a[i].Name}@0x{a[i].Offset:x} captured, {b[i].Name}@0x{b[i].Offset:x} now";
        return null;
    }
}
