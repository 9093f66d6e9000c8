using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Stores;

namespace Preconfig.Handoff;

/// <summary>What <c>preconfig verify</c> prints: integrity, signature, and a summary, and whether the blob is valid.</summary>
public sealed record VerifyReport(bool Valid, IReadOnlyList<string> Lines);

/// <summary>
/// Checks the newest blob in a store: integrity (header, CRC32C, body), the HMAC-SHA256 signature when a key is
/// given (an unsigned blob then fails), and summarises the snapshot. I/O errors propagate (unreadable, not invalid).
/// </summary>
public static class HandoffVerifier
{
    public static VerifyReport Verify(HandoffStore store, HandoffKey? key)
    {
        var lines = new List<string> { $"input: {store.Spec}" };
        StoreLoadResult loaded;
        try
        {
            loaded = store.Load(key);
        }
        catch (HandoffFormatException e)
        {
            if (key is not null)
            {
                // Tell a bad signature from damage: does the blob hold together without the key?
                try
                {
                    var unkeyed = store.Load(null);
                    lines.Add($"integrity: ok ({Describe(unkeyed)})");
                    lines.Add($"signature: FAILED: {e.Reason}");
                    return new VerifyReport(false, lines);
                }
                catch (HandoffFormatException) { }
            }
            lines.Add($"integrity: FAILED: {e.Message}");
            return new VerifyReport(false, lines);
        }
        var blob = loaded.Blob;
        var s = blob.Snapshot;
        lines.Add($"integrity: ok ({Describe(loaded)})");
        lines.Add("signature: " + (blob.SignatureChecked ? $"ok (HMAC-SHA256, key {key!.Source})"
            : blob.Info.Signed ? "present, not checked (no --key given)" : "none (unsigned)"));
        lines.Add($"captured: {s.CapturedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}, host {Or(s.HostName)}, kernel {Or(s.KernelRelease)}, boot id {Or(s.BootId)}, tool {Or(s.ToolVersion)}");
        // How many functions of each captured length, shortest first: "120 x 4096 B, 8 x 256 B".
        var countByLength = new SortedDictionary<int, int>();
        foreach (var d in s.Devices) countByLength[d.CapturedLength] = countByLength.GetValueOrDefault(d.CapturedLength) + 1;
        var byLength = new List<string>(countByLength.Count);
        foreach (var (length, count) in countByLength) byLength.Add($"{count} x {length} B");
        lines.Add($"functions: {s.Devices.Count}" + (s.Devices.Count > 0 ? $" ({string.Join(", ", byLength)})" : ""));
        lines.Add($"sources: {(s.Sources.Count > 0 ? string.Join(", ", s.Sources) : "(none recorded)")}");
        foreach (var p in loaded.Problems) lines.Add($"warning: {p}");
        return new VerifyReport(true, lines);
    }

    private static string Describe(StoreLoadResult r)
    {
        var i = r.Blob.Info;
        string body = i.Compression == "none" ? $"body {i.BodyLength} B" : $"{i.Compression} body {i.BodyLength} B -> {i.RawBodyLength} B";
        return $"{r.Location}, format {i.FormatVersion}, sequence {i.Sequence}, {i.TotalLength} bytes, {body}, CRC32C 0x{i.Crc:x8}";
    }

    private static string Or(string s) => s.Length > 0 ? s : "(unknown)";
}
