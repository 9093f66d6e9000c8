using System.Globalization;
using System.IO.Abstractions;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Stores;

/// <summary>The newest valid blob a store holds, where it was, and what was wrong with the others.</summary>
public sealed record StoreLoadResult(DecodedBlob Blob, string Location, IReadOnlyList<string> Problems);

/// <summary>What a save wrote.</summary>
public sealed record StoreWriteResult(ulong Sequence, int BlobLength, string Location);

/// <summary>
/// Where a blob lives across the crash (cli-contract.md, "Stores"): <c>FILE</c> / <c>file:FILE</c>,
/// <c>devmem:PATH@OFFSET+SIZE</c>, <c>initrd:FILE</c>. <see cref="Parse"/> turns a spec into one.
/// </summary>
public abstract class HandoffStore
{
    /// <summary>The spec as the user would write it (for messages).</summary>
    public abstract string Spec { get; }

    /// <summary>
    /// Loads the newest valid blob. Throws <see cref="HandoffFormatException"/> when the store holds none (the message
    /// says why for each candidate), <see cref="IOException"/> when it cannot be read.
    /// </summary>
    public abstract StoreLoadResult Load(HandoffKey? key = null);

    /// <summary>Writes the snapshot, with a sequence number above the one the store held.</summary>
    public abstract StoreWriteResult Save(Snapshot snapshot, HandoffKey? key = null, BlobCompression compression = BlobCompression.Auto);

    public override string ToString() => Spec;

    /// <summary>Whether <paramref name="spec"/> names a store explicitly (a prefix, not a plain path).</summary>
    public static bool HasStorePrefix(string spec) =>
        spec.StartsWith("file:", StringComparison.Ordinal) || spec.StartsWith("devmem:", StringComparison.Ordinal)
        || spec.StartsWith("initrd:", StringComparison.Ordinal);

    /// <summary>Parses a store spec. Throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static HandoffStore Parse(string spec, IFileSystem fs)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.StartsWith("file:", StringComparison.Ordinal)) return new FileStore(fs, RequirePath(spec, 5), spec);
        if (spec.StartsWith("initrd:", StringComparison.Ordinal)) return new InitrdStore(fs, RequirePath(spec, 7), spec);
        if (spec.StartsWith("devmem:", StringComparison.Ordinal)) return ParseDevMem(spec, fs);
        if (spec.Length == 0) throw new FormatException("empty store spec");
        return new FileStore(fs, spec, spec);
    }

    private static string RequirePath(string spec, int prefix) =>
        spec.Length > prefix ? spec[prefix..] : throw new FormatException($"store '{spec}': no file name after '{spec[..prefix]}'");

    private static DevMemStore ParseDevMem(string spec, IFileSystem fs)
    {
        string rest = spec[7..];
        int at = rest.LastIndexOf('@');
        int plus = at < 0 ? -1 : rest.IndexOf('+', at);
        if (at <= 0 || plus < 0)
            throw new FormatException($"store '{spec}': expected devmem:PATH@OFFSET+SIZE (e.g. devmem:/dev/mem@0x7f000000+1M)");
        long offset = ParseSize(spec, rest[(at + 1)..plus], "OFFSET");
        long size = ParseSize(spec, rest[(plus + 1)..], "SIZE");
        return new DevMemStore(fs, rest[..at], offset, size, spec);
    }

    /// <summary>A decimal or 0x-hex number with an optional K, M or G (binary) suffix.</summary>
    internal static long ParseSize(string spec, string text, string what)
    {
        long scale = 1;
        string digits = text;
        if (digits.Length > 0 && char.ToUpperInvariant(digits[^1]) is 'K' or 'M' or 'G' && !digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            scale = char.ToUpperInvariant(digits[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, _ => 1L << 30 };
            digits = digits[..^1];
        }
        bool ok = digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long v)
            : long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok || v < 0 || v > long.MaxValue / scale)
            throw new FormatException($"store '{spec}': {what} '{text}' is not a number (decimal or 0x hex, optional K/M/G)");
        return v * scale;
    }

    /// <summary>
    /// The next sequence after what <paramref name="existing"/> holds: one more than its sequence when its header
    /// and CRC32C are intact, else 1. Only numbering: the body is neither decompressed nor decoded.
    /// </summary>
    internal static ulong NextSequence(ReadOnlySpan<byte> existing) =>
        HandoffBlob.IntactSequence(existing) is ulong sequence && sequence < ulong.MaxValue ? sequence + 1 : 1;

    /// <summary>Replaces a file atomically and root-only (<see cref="AtomicFile"/>): it holds config space.</summary>
    internal static void WriteAtomically(IFileSystem fs, string path, ReadOnlySpan<byte> bytes) => AtomicFile.Write(fs, path, bytes);

    /// <summary>A clear "no such file" (the runtime's own message is a resource key in the AOT binary).</summary>
    internal static void RequireFile(IFileSystem fs, string path)
    {
        if (!fs.File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
    }

    /// <summary>Flushes to the device (fsync) when the stream is a file (a mock file system's stream just flushes).</summary>
    internal static void Fsync(Stream stream)
    {
        if (stream is FileSystemStream file) file.Flush(flushToDisk: true);
        else if (stream is FileStream real) real.Flush(flushToDisk: true);
        else stream.Flush();
    }

    /// <summary>Reads a whole file, refusing ones larger than <paramref name="limit"/> before reading them.</summary>
    internal static byte[] ReadBounded(IFileSystem fs, string path, long limit)
    {
        RequireFile(fs, path);
        using var stream = fs.FileStream.New(path, FileMode.Open, FileAccess.Read);
        long length = stream.Length;
        if (length > limit) throw new HandoffFormatException(limit, $"{path}: {length} bytes is more than the {limit} accepted");
        var bytes = new byte[length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}

/// <summary><c>FILE</c> or <c>file:FILE</c>: the blob alone in a file, replaced atomically.</summary>
public sealed class FileStore(IFileSystem fs, string path, string spec) : HandoffStore
{
    public string Path { get; } = path;
    public override string Spec { get; } = spec;

    public override StoreLoadResult Load(HandoffKey? key = null)
    {
        var bytes = ReadBounded(fs, Path, HandoffBlob.FixedHeaderLength + HandoffBlob.MacLength + (long)HandoffBlob.MaxBodyLength);
        return new StoreLoadResult(Wrap(Path, () => HandoffBlob.Read(bytes, key)), Path, []);
    }

    public override StoreWriteResult Save(Snapshot snapshot, HandoffKey? key = null, BlobCompression compression = BlobCompression.Auto)
    {
        ulong sequence = 1;
        if (fs.File.Exists(Path) && fs.FileInfo.New(Path).Length <= HandoffBlob.MaxBodyLength)
            sequence = NextSequence(fs.File.ReadAllBytes(Path));
        var blob = HandoffBlob.Write(snapshot, new BlobWriteOptions { Sequence = sequence, Key = key, Compression = compression });
        WriteAtomically(fs, Path, blob);
        return new StoreWriteResult(sequence, blob.Length, Path);
    }

    /// <summary>Prefixes the file name to a format error, keeping its offset.</summary>
    internal static DecodedBlob Wrap(string path, Func<DecodedBlob> read)
    {
        try { return read(); }
        catch (HandoffFormatException e) { throw new HandoffFormatException(e.Offset, $"{path}: {e.Reason}", e); }
    }
}
