using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Preinit.Loading;

/// <summary>A snapshot read from one store, with where it was found, its sequence number in that store, and what the
/// store reported on the way (a torn newer slot it skipped ...). <paramref name="SignatureChecked"/>: the blob's
/// HMAC-SHA256 was checked against the key given to the reader.</summary>
public sealed record LoadedSnapshot(Snapshot Snapshot, string Location, ulong Sequence, IReadOnlyList<string>? Warnings = null,
    bool SignatureChecked = false)
{
    /// <summary>The key the signature was checked with (one of several during a key rotation).</summary>
    public HandoffKey? Key { get; init; }
}

/// <summary>Reads the newest valid snapshot one store spec holds; throws (IOException, FormatException,
/// InvalidDataException) with the reason when it holds none. With a <paramref name="key"/> a blob must be signed with
/// it (an unsigned or forged one is refused).</summary>
public delegate LoadedSnapshot SnapshotReader(string spec, HandoffKey? key);

/// <summary>
/// Picks the snapshot to replay from the <c>--from</c> stores: each store already falls back to its older slot when
/// the newest is torn or forged; across stores the newest capture wins (then the higher sequence). Every store that
/// could not give one is listed with its reason. With a key, only snapshots whose signature was checked count.
/// </summary>
public static class SnapshotLoader
{
    public static (LoadedSnapshot? Newest, IReadOnlyList<string> Problems) LoadNewest(IReadOnlyList<string> specs, SnapshotReader read,
        HandoffKey? key = null) => LoadNewest(specs, read, key is null ? [] : [key]);

    /// <summary>
    /// With several <paramref name="keys"/> (the current key, then the previous one during a rotation) each store is
    /// read with each key, and its newest snapshot signed with any of them counts; a store is a problem only when no
    /// key gives one (every key's reason is listed).
    /// </summary>
    public static (LoadedSnapshot? Newest, IReadOnlyList<string> Problems) LoadNewest(IReadOnlyList<string> specs, SnapshotReader read,
        IReadOnlyList<HandoffKey> keys)
    {
        LoadedSnapshot? best = null;
        var problems = new List<string>();
        foreach (var spec in specs)
        {
            var reasons = new List<string>();
            bool loaded = false;
            foreach (var key in keys.Count == 0 ? [null] : keys.Cast<HandoffKey?>())
            {
                LoadedSnapshot candidate;
                string with = keys.Count > 1 ? $" (key {key!.Source})" : "";
                try { candidate = read(spec, key); }
                catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
                {
                    reasons.Add(e.Message + with);
                    continue;
                }
                if (key is not null && !candidate.SignatureChecked)
                {
                    // A source read now (sim:, lspci:) carries no signature: with a key it is refused like an unsigned blob.
                    reasons.Add($"not signed with the key {key.Source}: refused");
                    continue;
                }
                loaded = true;
                if (key is not null) candidate = candidate with { Key = key };
                if (best is null || Newer(candidate, best)) best = candidate;
            }
            if (!loaded) problems.Add($"{spec}: {string.Join("; ", reasons.Distinct())}");
        }
        return (best, problems);
    }

    private static bool Newer(LoadedSnapshot a, LoadedSnapshot b) =>
        a.Snapshot.CapturedAt > b.Snapshot.CapturedAt || (a.Snapshot.CapturedAt == b.Snapshot.CapturedAt && a.Sequence > b.Sequence);
}
