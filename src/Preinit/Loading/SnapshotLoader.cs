using Preconfig.Handoff.Model;

namespace Preconfig.Preinit.Loading;

/// <summary>A snapshot read from one store, with where it was found, its sequence number in that store, and what the
/// store reported on the way (a torn newer slot it skipped ...).</summary>
public sealed record LoadedSnapshot(Snapshot Snapshot, string Location, ulong Sequence, IReadOnlyList<string>? Warnings = null);

/// <summary>Reads the newest valid snapshot one store spec holds; throws (IOException, FormatException,
/// InvalidDataException) with the reason when it holds none.</summary>
public delegate LoadedSnapshot SnapshotReader(string spec);

/// <summary>
/// Picks the snapshot to replay from the <c>--from</c> stores: each store already falls back to its older slot when
/// the newest is torn or forged; across stores the newest capture wins (then the higher sequence). Every store that
/// could not give one is listed with its reason.
/// </summary>
public static class SnapshotLoader
{
    public static (LoadedSnapshot? Newest, IReadOnlyList<string> Problems) LoadNewest(IReadOnlyList<string> specs, SnapshotReader read)
    {
        LoadedSnapshot? best = null;
        var problems = new List<string>();
        foreach (var spec in specs)
        {
            LoadedSnapshot candidate;
            try { candidate = read(spec); }
            catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                problems.Add($"{spec}: {e.Message}");
                continue;
            }
            if (best is null || candidate.Snapshot.CapturedAt > best.Snapshot.CapturedAt
                || (candidate.Snapshot.CapturedAt == best.Snapshot.CapturedAt && candidate.Sequence > best.Sequence))
                best = candidate;
        }
        return (best, problems);
    }
}
