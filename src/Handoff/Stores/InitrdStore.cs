using System.IO.Abstractions;
using System.IO.Compression;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Stores;

/// <summary>
/// <c>initrd:FILE</c>: a newc cpio archive holding the blob at <see cref="BlobPath"/>, to be concatenated to the kdump
/// initramfs (the kernel unpacks concatenated archives in order). Gzip-compressed when FILE ends in <c>.gz</c>;
/// reading takes either form (gzip is recognised by its magic). Replaced atomically like a file store.
/// </summary>
public sealed class InitrdStore(IFileSystem fs, string path, string spec) : HandoffStore
{
    public const string BlobPath = "etc/preconfig/handoff.pcfg";
    /// <summary>Largest archive accepted, compressed or not: bounds what a load reads into memory.</summary>
    public const int MaxArchiveLength = 256 << 20;

    public string Path { get; } = path;
    public override string Spec { get; } = spec;
    public bool Gzip => Path.EndsWith(".gz", StringComparison.Ordinal);

    public override StoreLoadResult Load(HandoffKey? key = null)
    {
        var blob = ReadBlobBytes();
        return new StoreLoadResult(FileStore.Wrap($"{Path}:{BlobPath}", () => HandoffBlob.Read(blob, key)), $"{Path}:{BlobPath}", []);
    }

    /// <summary>The blob file's bytes inside the archive.</summary>
    public byte[] ReadBlobBytes()
    {
        var archive = Unpack(ReadBounded(fs, Path, MaxArchiveLength));
        IReadOnlyList<NewcEntry> entries;
        try { entries = NewcArchive.Read(archive); }
        catch (HandoffFormatException e) { throw new HandoffFormatException(e.Offset, $"{Path}: {e.Reason}", e); }
        return entries.LastOrDefault(e => e.Name.TrimStart('.', '/') == BlobPath)?.Data
            ?? throw new HandoffFormatException(-1, $"{Path}: the archive has no {BlobPath}");
    }

    private byte[] Unpack(byte[] file)
    {
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b) return file;
        try
        {
            using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            var output = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = gz.Read(buffer)) > 0)
            {
                if (output.Length + n > MaxArchiveLength)
                    throw new HandoffFormatException(-1, $"{Path}: decompresses to more than {MaxArchiveLength} bytes");
                output.Write(buffer, 0, n);
            }
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new HandoffFormatException(-1, $"{Path}: damaged gzip data ({e.Message})", e);
        }
    }

    public override StoreWriteResult Save(Snapshot snapshot, HandoffKey? key = null, BlobCompression compression = BlobCompression.Auto)
    {
        ulong sequence = 1;
        if (fs.File.Exists(Path))
        {
            try { sequence = NextSequence(ReadBlobBytes()); }
            catch (HandoffFormatException) { }
        }
        var blob = HandoffBlob.Write(snapshot, new BlobWriteOptions { Sequence = sequence, Key = key, Compression = compression });
        var archive = NewcArchive.Write(
        [
            new NewcEntry("etc", NewcArchive.DirectoryMode, []),
            new NewcEntry("etc/preconfig", NewcArchive.DirectoryMode, []),
            new NewcEntry(BlobPath, NewcArchive.FileMode, blob),
        ]);
        if (Gzip)
        {
            var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(archive);
            archive = ms.ToArray();
        }
        WriteAtomically(fs, Path, archive);
        return new StoreWriteResult(sequence, blob.Length, $"{Path}:{BlobPath}");
    }
}
