using Preconfig.Capture.Sources;
using Preconfig.ConfigSpace;
using Preconfig.Handoff.Model;

namespace Preconfig.Capture.Merge;

/// <summary>The merged devices (one per address, in address order) and what the merge noticed.</summary>
public sealed record MergeResult(IReadOnlyList<DeviceRecord> Devices, IReadOnlyList<string> Warnings);

/// <summary>
/// Merges several sources into one record per function. Per address the most pristine bytes win
/// (<see cref="Pristineness"/>: an early capture or earlydump, then sysfs of an undriven function, then sysfs of a
/// driver-bound one, then dumps and simulations); equally pristine candidates are ranked by length, then by the order
/// the sources were given. A shorter winner is completed from longer candidates, the most pristine first (the 256
/// bytes earlydump prints, completed by sysfs's extended space), and <see cref="DeviceRecord.Origins"/> says which
/// range came from where. Candidates whose identity (vendor, device, header type) differs are never mixed: an address
/// that now holds another device (hot-swap, bus renumbering) takes the device a live source (sysfs) sees there, with
/// a "changed" warning, and a function no live source lists any more (removed) drops out, with a warning; without a
/// live source the most pristine candidate's identity is kept. Driver, reset methods and resources come from a live source when there is one: they describe the
/// function as it is now, which is what replay must match.
/// </summary>
public static class SourceMerger
{
    public static MergeResult Merge(IReadOnlyList<SourceCapture> sources)
    {
        var warnings = new List<string>();
        var byAddress = new SortedDictionary<PciAddress, List<(DeviceRecord Record, int Order)>>();
        for (int i = 0; i < sources.Count; i++)
            foreach (var d in sources[i].Devices)
            {
                if (!byAddress.TryGetValue(d.Address, out var list)) byAddress[d.Address] = list = [];
                list.Add((d, i));
            }

        var live = sources.Where(s => s.Live).ToList();
        var merged = new List<DeviceRecord>(byAddress.Count);
        foreach (var (address, candidates) in byAddress)
        {
            if (live.Count > 0 && !candidates.Any(c => sources[c.Order].Live))
            {
                // The machine as it is now does not have it: a card pulled since the early capture is not replayed.
                var gone = candidates[0].Record;
                warnings.Add($"{address}: {Describe(gone)} from {SourceOf(gone)} is no longer present in {SourceOf(live)}: removed, dropped");
                continue;
            }
            if (candidates.Count == 1)
            {
                merged.Add(candidates[0].Record);
                continue;
            }
            var ranked = candidates
                .OrderBy(c => c.Record.Pristineness)
                .ThenByDescending(c => c.Record.Config.Length)
                .ThenBy(c => c.Order)
                .Select(c => c.Record)
                .ToList();
            merged.Add(MergeOne(address, ranked, warnings));
        }
        return new MergeResult(merged, warnings);
    }

    private static DeviceRecord MergeOne(PciAddress address, List<DeviceRecord> ranked, List<string> warnings)
    {
        // The device there now decides which records describe it: a card swapped since the early capture is taken
        // live, the old card's bytes dropped. Without a live candidate, the most pristine one decides.
        var now = ranked.FirstOrDefault(IsLive);
        var winner = now is null ? ranked[0] : ranked.First(c => SameIdentity(c, now));
        var same = new List<DeviceRecord> { winner };
        foreach (var other in ranked.Where(c => !ReferenceEquals(c, winner)))
        {
            if (SameIdentity(winner, other)) { same.Add(other); continue; }
            warnings.Add(now is null
                ? $"{address}: {Describe(other)} from {SourceOf(other)} is not the device {Describe(winner)} from {SourceOf(winner)}; " +
                    $"kept {SourceOf(winner)} alone for it"
                : $"{address}: changed: {Describe(other)} from {SourceOf(other)} is now {Describe(winner)} in {SourceOf(now)}; took the live device");
        }

        var config = winner.Config;
        var origins = new List<ConfigOrigin>(winner.Origins);
        DeviceRecord last = winner;
        // Complete the winner from longer candidates, most pristine first; each adds only the bytes past what we have.
        while (same.Where(c => c.Config.Length > config.Length).FirstOrDefault() is { } longer)
        {
            int from = config.Length;
            var grown = new byte[longer.Config.Length];
            config.CopyTo(grown, 0);
            longer.Config.AsSpan(from).CopyTo(grown.AsSpan(from));
            origins.AddRange(Clip(longer.Origins, from, grown.Length - from));
            config = grown;
            last = longer;
        }

        var live = same.FirstOrDefault(IsLive);
        var described = live ?? same.FirstOrDefault(c => c.Driver is not null || c.ResetMethods.Count > 0 || c.Resources.Count > 0) ?? winner;
        return new DeviceRecord
        {
            Address = address,
            Config = config,
            Origins = origins,
            Truncated = last.Truncated && !same.Any(c => !c.Truncated && c.Config.Length >= config.Length),
            Driver = described.Driver,
            ResetMethods = described.ResetMethods,
            Resources = live?.Resources is { Count: > 0 } r ? r : same.FirstOrDefault(c => c.Resources.Count > 0)?.Resources ?? [],
        };
    }

    /// <summary>The parts of <paramref name="origins"/> that fall in [from, from+length), cut to that range.</summary>
    internal static IEnumerable<ConfigOrigin> Clip(IReadOnlyList<ConfigOrigin> origins, int from, int length)
    {
        int end = checked(from + length);
        foreach (var o in origins)
        {
            int start = Math.Max(o.Offset, from), stop = Math.Min(checked(o.Offset + o.Length), end);
            if (stop > start) yield return o with { Offset = start, Length = stop - start };
        }
    }

    private static bool IsLive(DeviceRecord r) => r.Pristineness is Pristineness.Undriven or Pristineness.DriverBound;

    private static bool SameIdentity(DeviceRecord a, DeviceRecord b) =>
        a.VendorId == b.VendorId && a.DeviceId == b.DeviceId && a.HeaderType == b.HeaderType;

    private static string Describe(DeviceRecord r) => $"[{r.VendorId:x4}:{r.DeviceId:x4}]";

    private static string SourceOf(IReadOnlyList<SourceCapture> live) =>
        string.Join(", ", live.Select(s => s.Devices.Count > 0 ? SourceOf(s.Devices[0]) : "a live source").Distinct());

    private static string SourceOf(DeviceRecord r) => r.Origins.Count > 0 ? r.Origins[0].Source : "an unnamed source";
}
