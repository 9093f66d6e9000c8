using System.IO.Abstractions;

namespace Preconfig.Handoff.Blob;

/// <summary>An HMAC-SHA256 key: the raw bytes of a key file (at least 16 of them; e.g. <c>head -c 32 /dev/urandom</c>).</summary>
public sealed class HandoffKey
{
    /// <summary>The host's signing key (packaging/lib/preconfig-key makes it; the hooks copy it into the kdump
    /// initramfs only), read by the daemon (keyFile) and by preinit in the capture kernel.</summary>
    public const string DefaultPath = "/etc/preconfig/handoff.key";

    /// <summary>
    /// While a key is rotated, the previous key stays beside the new one (<c>preconfig-key rotate</c> keeps it as
    /// <c>FILE.old</c> until a handoff signed with the new key is loaded): preinit accepts a blob signed with either,
    /// so a crash at any step of the rotation finds a key that matches the handoff it has.
    /// </summary>
    public static string PreviousPath(string path) => path + ".old";

    public const int MinLength = 16;
    public const int MaxLength = 4096;

    private readonly byte[] _key;
    public string Source { get; }

    public HandoffKey(byte[] key, string source)
    {
        if (key.Length < MinLength) throw new InvalidDataException($"{source}: key of {key.Length} bytes is shorter than {MinLength}");
        if (key.Length > MaxLength) throw new InvalidDataException($"{source}: key file is longer than {MaxLength} bytes");
        _key = key;
        Source = source;
    }

    public static HandoffKey Load(IFileSystem fs, string path)
    {
        var info = fs.FileInfo.New(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: key file not found", path);
        if (info.Length > MaxLength) throw new InvalidDataException($"{path}: key file is longer than {MaxLength} bytes");
        return new HandoffKey(fs.File.ReadAllBytes(path), path);
    }

    internal void Compute(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body, Span<byte> mac) =>
        new HmacSha256(_key).Compute(header, body, mac);
}
